"""Errors services raise for input that breaks a business rule."""

from __future__ import annotations


class ValidationFailed(Exception):
    """Input breaks a rule; ``field`` names the form field to show it beside."""

    def __init__(self, field: str | None, message) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message
