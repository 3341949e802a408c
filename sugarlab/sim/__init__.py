"""The simulated Sugarkube cluster: a k3s-like Kubernetes API that real kubectl and the official client talk to,
with the machines, NAS and hardware behind its nodes. The workbook uses it through `lifecycle` (start, stop,
find a workspace's server), `world.spec` (the cluster's spec) and `control` (the machines and NAS endpoints).

Map, top to bottom (an import only points down): the root wiring (`server`, `loops`, `lifecycle`,
`kubeconfig`, `credentials`, `__main__`); `apiserver` | `controllers` | `kubelet`; `network`; `world`; `apis`;
`storage`; `machinery` (and `control`, the models shared with the workbook).
"""
