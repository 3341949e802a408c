"""The kubelets of the simulated nodes, as pkg/kubelet: pod workers, containers run or modelled, probes, volumes
in the sandbox, node leases, and the streaming server behind exec and port-forward."""
