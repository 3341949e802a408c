"""Kubernetes objects as the API serves them in JSON: plain dicts, keyed as the API names fields."""

from typing import Any

Obj = dict[str, Any]
