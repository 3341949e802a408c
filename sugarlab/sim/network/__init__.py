"""The pod network of the simulated cluster, as k3s sets it up on every node: the CNI plugin (flannel's
bridge `cni0` and host-local addresses, `cni`), kube-proxy (`proxy`), CoreDNS (`dns`, `dns_records`),
and the network namespaces they live in (`netns`, `dial`). It lives in network namespaces of this machine
that the simulator makes and removes; without the rights to make them (CAP_NET_ADMIN), containers keep
a loopback of their own and nothing else."""
