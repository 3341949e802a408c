"""Figures, kubectl-style text tables and widgets drawn from frames that are already computed."""

__all__ = ["explorer", "figures", "readable", "tables"]
