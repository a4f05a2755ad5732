"""Domain errors. Services raise them; the API maps them to HTTP in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``message`` is user-facing."""

    code = "error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing, or not visible to the one asking: the two are deliberately indistinguishable."""

    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidInput(DomainError):
    code = "invalid"


class Conflict(DomainError):
    """The request is well-formed but the object's state does not allow it now."""

    code = "conflict"


class LedgerError(RuntimeError):
    """The ledger was used wrongly (outside a transaction, an invalid kind). A programming error."""
