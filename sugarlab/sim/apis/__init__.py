"""The kinds' own rules, shared by the API server and the controllers, as pkg/apis and pkg/api/v1 are in
kubernetes/kubernetes: defaulting (`SetDefaults_*`), pod helpers, owner references, disruption budgets."""
