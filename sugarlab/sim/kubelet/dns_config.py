"""The `/etc/resolv.conf` and `/etc/hosts` the kubelet gives each container of a pod.

resolv.conf follows the pod's `dnsPolicy` as pkg/kubelet/network/dns/dns.go does (`getPodDNSType`,
`GetPodDNS`): `ClusterFirst` (the default) and `ClusterFirstWithHostNet` name the cluster DNS (k3s's
`--cluster-dns` 10.43.0.10) with the search path `<ns>.svc.cluster.local svc.cluster.local cluster.local`
and `options ndots:5`; a hostNetwork pod under `ClusterFirst`, and `Default`, get the node's own
resolv.conf (a simulated node has no resolver, so it names none); `None` only what `dnsConfig` gives,
which is otherwise merged in (`appendDNSConfig`). hosts is kubelet_pods.go's `managedHostsFileContent`:
the localhost lines, the pod's IP with its hostname (fully qualified under its subdomain), then
`hostAliases`.
"""

from __future__ import annotations

from sugarlab.common.objects import Obj

CLUSTER_DOMAIN = "cluster.local"
NDOTS = "ndots:5"
LOCALHOST = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n"
)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def resolv_conf(pod: Obj, cluster_dns: str) -> str:
    spec, namespace = pod["spec"], pod["metadata"]["namespace"]
    policy = spec.get("dnsPolicy", "ClusterFirst")
    nameservers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    if policy == "ClusterFirstWithHostNet" or (policy == "ClusterFirst" and not spec.get("hostNetwork")):
        nameservers = [cluster_dns]
        searches = [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]
        options = [NDOTS]
    config = spec.get("dnsConfig") or {}
    nameservers = _unique(nameservers + list(config.get("nameservers") or []))
    searches = _unique(searches + list(config.get("searches") or []))
    for option in config.get("options") or []:  # a later option of the same name replaces an earlier one
        name = option.get("name", "")
        options = [o for o in options if o.split(":")[0] != name]
        options.append(f"{name}:{option['value']}" if option.get("value") is not None else name)
    lines = [f"search {' '.join(searches)}"] if searches else []
    lines += [f"nameserver {server}" for server in nameservers]
    lines += [f"options {' '.join(options)}"] if options else []
    return "".join(f"{line}\n" for line in lines)


def hostname(pod: Obj) -> str:
    return str(pod["spec"].get("hostname") or pod["metadata"]["name"])[:63]


def etc_hosts(pod: Obj, pod_ip: str) -> str:
    spec = pod["spec"]
    if spec.get("hostNetwork"):
        content = "# Kubernetes-managed hosts file (host network).\n" + LOCALHOST
    else:
        content = "# Kubernetes-managed hosts file.\n" + LOCALHOST
        name = hostname(pod)
        if spec.get("subdomain"):
            name = f"{name}.{spec['subdomain']}.{pod['metadata']['namespace']}.svc.{CLUSTER_DOMAIN}\t{name}"
        if pod_ip:
            content += f"{pod_ip}\t{name}\n"
    aliases = spec.get("hostAliases") or []
    if aliases:
        content += "\n# Entries added by HostAliases.\n"
        content += "".join(f"{a['ip']}\t{chr(9).join(a.get('hostnames') or [])}\n" for a in aliases)
    return content
