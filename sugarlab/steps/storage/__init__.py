"""Notebook 04: the NFS storage class, the SQLite writer on a shared claim, and the failover experiment."""

__all__ = ["failover", "nfs_class", "writer"]
