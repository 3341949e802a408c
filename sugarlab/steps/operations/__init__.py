"""Notebook 06: disruption budgets, events, fio per node, SSH hardening and the final snapshot."""

__all__ = ["disruption", "events", "fio_bench", "fio_output", "hardening", "snapshot", "ssh_audit"]
