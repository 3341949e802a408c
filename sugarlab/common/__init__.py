"""Kubernetes' own rules that both the simulator and the workbook apply, and the helpers they share.

`objects` (the `Obj` alias), `kubectl` (times and ages, image names, conditions, pod and node status as
kubectl prints them) and `files` (atomic writes). Nothing here imports anything else of `sugarlab`, so the
simulator (which imports nothing of the workbook) and the workbook can both depend on it.
"""

__all__ = ["files", "kubectl", "objects"]
