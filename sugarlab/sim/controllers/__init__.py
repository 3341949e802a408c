"""The control loops of kube-controller-manager and kube-scheduler (pkg/controller, pkg/scheduler): workloads,
volumes, nodes, endpoints, quotas, budgets, garbage collection and scheduling."""
