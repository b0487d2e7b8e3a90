"""Typed domain errors, each with a Chinese and an English message.

They subclass built-in exceptions (``except ValueError`` still works), and the faces map them
to exit codes (CLI) and HTTP statuses (API) in one table each.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AuthenticationError",
    "CRSError",
    "DidengError",
    "FormatError",
    "ImportRejected",
    "SetupError",
    "UnknownFeatureError",
    "UnknownLayerError",
    "ValidationError",
    "WorkspaceError",
]


class DidengError(Exception):
    """Base of dideng's errors: ``zh`` and ``en`` carry the message in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


class ValidationError(DidengError, ValueError):
    """Input that cannot be accepted as it is (a whole file, not a single row)."""


class FormatError(ValidationError):
    """A file whose format, encoding or structure cannot be read."""


class CRSError(ValidationError):
    """Coordinates that cannot be placed, or a CRS unfit for the work asked (areas in degrees)."""


class UnknownLayerError(DidengError, KeyError):
    """A layer name that is neither in the catalogue nor in the workspace."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return f"{self.zh} / {self.en}"


class UnknownFeatureError(UnknownLayerError):
    """A feature id that is not in its layer."""


class AuthenticationError(DidengError, PermissionError):
    """A credential (API key) that is not known."""


class AccessDenied(DidengError, PermissionError):
    """A request beyond what the caller's role may see or do."""


class SetupError(DidengError, RuntimeError):
    """The installation lacks something it needs (a font, a browser); not the user's input."""


class WorkspaceError(DidengError, OSError):
    """A workspace that cannot be opened, created or written."""


class ImportRejected(ValidationError):
    """An import refused because rows were rejected (and rejects were not allowed)."""

    def __init__(self, zh: str, en: str, report: object) -> None:
        super().__init__(zh, en)
        self.report = report
