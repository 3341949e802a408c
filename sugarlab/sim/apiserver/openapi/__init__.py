"""Discovery and the OpenAPI documents, as kube-apiserver serves them (k8s.io/kube-openapi, aggregated discovery)."""
