"""The tutorial's sections, one module or package each, in the order of the notebooks."""

__all__ = ["baseline", "baseline_comparison", "edge_ai", "expansion", "operations", "plan", "storage", "workload"]
