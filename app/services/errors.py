"""Errors services raise for input that breaks a business rule."""

from __future__ import annotations


class ValidationFailed(Exception):
    """Input breaks a rule; ``field`` names the form field to show it beside.

    ``errors`` holds every broken rule as (field, message), the first one
    also as ``field`` and ``message``: a form shows them all at once.
    """

    def __init__(self, field: str | None, message, more: list[tuple[str | None, object]] | None = None) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message
        self.errors: list[tuple[str | None, object]] = [(field, message), *(more or [])]

    @classmethod
    def of(cls, errors: list[tuple[str | None, object]]) -> ValidationFailed:
        (field, message), *more = errors
        return cls(field, message, more)
