"""The lab itself: its parameters, the cluster and workspace it works in, the steps it records, what
the workspace remembers of earlier notebooks' parameters, and every exception the workbook raises.

It imports no other package of the workbook: Kubernetes, hosts, views, steps, report and the
application all build on it.
"""

__all__ = ["cluster", "errors", "params", "recorded", "session", "workspace"]
