"""Kubernetes' own rules that both the simulator and the workbook apply, and the helpers they share.

Nothing here imports anything else of `sugarlab`, so the simulator (which imports nothing of the workbook)
and the workbook can both depend on it.
"""
