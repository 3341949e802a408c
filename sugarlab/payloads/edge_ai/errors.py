"""Errors raised by the edge-AI inference service.

The service runs inside a pod with only its own package, so its tree stands apart from the
workbook's `SugarlabError`:

    EdgeAIError
     ├── SettingError          an environment variable's value is not allowed (names the variable)
     ├── ModelError            the model could not be fetched, verified or loaded
     │    └── ChecksumMismatch     a download's SHA-256 differs from the expected digest
     └── ImageRejected         an upload cannot be classified (the service answers 4xx)
          └── ImageTooLarge        too many bytes or pixels (answered with 413)
"""

from __future__ import annotations


class EdgeAIError(Exception):
    """Base of the inference service's errors."""


class SettingError(EdgeAIError, ValueError):
    """A setting read from the environment is not allowed."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"setting {name!r} = {value!r} is not allowed: {allowed}")


class ModelError(EdgeAIError):
    """The model file could not be downloaded, verified or loaded."""


class ChecksumMismatch(ModelError):
    """A downloaded model's SHA-256 digest is not the expected one; nothing was kept."""

    def __init__(self, url: str, expected: str, actual: str) -> None:
        self.url, self.expected, self.actual = url, expected, actual
        super().__init__(
            f"SHA-256 of {url} is {actual}, expected {expected}; the download was discarded. "
            "Check MODEL_URL and MODEL_SHA256 (a Git LFS pointer or an HTML page has the wrong digest)."
        )


class ImageRejected(EdgeAIError):
    """An uploaded image cannot be classified; `status` is the HTTP status the service answers."""

    status = 422


class ImageTooLarge(ImageRejected):
    """An upload exceeds the byte or pixel limit."""

    status = 413
