"""The simulated API server, as kube-apiserver and k8s.io/apiserver: its REST surface (discovery, CRUD, watch,
patch, subresources, metrics.k8s.io, the simulator's control endpoints), admission, the wire formats,
OpenAPI, server-side printing, and the objects it keeps in place itself."""
