"""Catalog errors. Each names where in the catalog document the problem is (a JSON-path-like
`where`), never any resident data (the catalog holds none)."""

from __future__ import annotations

from kiosk.errors import KioskError

__all__ = ["CatalogError", "CatalogReferenceError", "CatalogSchemaError", "UnknownLifeEventError"]


class CatalogError(KioskError):
    """Base of catalog errors."""


class CatalogSchemaError(CatalogError):
    """The document does not match the catalog schema (type, missing key, unknown key, bad value)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"catalog {where}: {reason}")
        self.where = where
        self.reason = reason


class CatalogReferenceError(CatalogError):
    """An id used somewhere (rule, life event, slot) that the catalog does not define."""

    def __init__(self, where: str, ref: str) -> None:
        super().__init__(f"catalog {where}: unknown id {ref!r}")
        self.where = where
        self.ref = ref


class UnknownLifeEventError(CatalogError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"unknown life event {event_id!r}")
        self.event_id = event_id
