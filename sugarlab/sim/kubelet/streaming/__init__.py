"""The kubelet's streaming server (pkg/kubelet/cri/streaming): exec and port-forward over websockets and SPDY."""
