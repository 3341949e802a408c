"""Kubernetes through the official client: the connection, apply, listings and kubectl's printing rules."""

__all__ = ["apply", "connect", "errors", "inventory", "simulator", "top", "wait"]
