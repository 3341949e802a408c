"""The API server's endpoint families, one module each, as kube-apiserver's pkg/registry/<group>/<kind> and
kwok's pkg/kwok/server split theirs; `apiserver.api` routes to them through its table (`apiserver.router`)."""
