"""Pilah's exception hierarchy.

Every error a user can cause derives from :class:`PilahError` and carries a stable machine-readable ``code``
and a message that says how to fix the problem. The HTTP API maps the class to a status code and the CLI maps
it to an exit code, each in one place.
"""

from __future__ import annotations

__all__ = [
    "PilahError",
    "InputError",
    "DataError",
    "ModelError",
    "ModelIncompatibleError",
    "ModelIntegrityError",
]


class PilahError(Exception):
    """Root of all errors Pilah raises on purpose."""

    code: str = "pilah_error"
    exit_code: int = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InputError(PilahError):
    """One document or request is unusable (missing text, empty text, too large, bad JSON)."""

    code = "invalid_input"
    exit_code = 2


class DataError(PilahError):
    """A labelled data set (corpus, user CSV/JSONL) fails its checks."""

    code = "invalid_data"
    exit_code = 3


class ModelError(PilahError):
    """A model directory is missing or cannot be used."""

    code = "model_error"
    exit_code = 4


class ModelIncompatibleError(ModelError):
    """The model was saved by library versions this installation cannot load safely."""

    code = "model_incompatible"


class ModelIntegrityError(ModelError):
    """A model file does not match the checksum recorded when it was saved."""

    code = "model_integrity"
