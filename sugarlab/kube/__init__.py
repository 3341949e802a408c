"""Kubernetes through the official client: the connection, apply, listings and kubectl's printing rules."""

__all__ = ["apply", "clean", "connect", "dry_run", "errors", "inventory", "labels", "simulator", "top", "wait"]
