"""Notebook 04: the NFS storage class, the tutorial's StatefulSet as written, the SQLite writer on
a shared claim, and the failover experiments."""

__all__ = ["failover", "nfs_class", "tutorial_as_written", "writer"]
