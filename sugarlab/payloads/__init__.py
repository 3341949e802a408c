"""Code that runs inside the lab's pods: the SQLite writer and the edge-AI inference service."""

__all__ = ["edge_ai", "sqlite_writer"]
