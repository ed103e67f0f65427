"""Field validators shared by every form.

PostgreSQL refuses NUL in text and both databases would store other control
characters that no person types; refusing them in the form keeps the user's
input on the page with a message instead of failing in the database.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Line breaks and tabs are ordinary in multi-line text.
_MULTILINE_OK = frozenset("\t\n\r")


class NoControlCharacters:
    """Refuse C0/C1 control characters (NUL included) and lone surrogates.

    ``multiline=True`` admits tab, CR and LF, for text areas.
    """

    def __init__(self, multiline: bool = False, message=None) -> None:
        self.allowed = _MULTILINE_OK if multiline else frozenset()
        self.message = message

    def __call__(self, form, field) -> None:
        value = field.data
        if not isinstance(value, str):
            return
        for ch in value:
            if ch in self.allowed:
                continue
            if unicodedata.category(ch) in ("Cc", "Cs"):
                raise ValidationError(
                    self.message or _l("Remove the invisible control characters from this text.")
                )


SINGLE_LINE = NoControlCharacters()
MULTI_LINE = NoControlCharacters(multiline=True)

COMMON_PASSWORDS_FILE = os.path.join(os.path.dirname(__file__), "auth", "common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (see the file's header)."""
    with open(COMMON_PASSWORDS_FILE, encoding="utf-8") as fh:
        return frozenset(
            line.strip().lower() for line in fh if line.strip() and not line.startswith("#")
        )


class NotCommonPassword:
    """Refuse passwords found in the shipped common-password list.

    The list stands in, offline, for a breached-password service.
    """

    def __init__(self, message=None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and field.data.strip().lower() in common_passwords():
            raise ValidationError(
                self.message or _l("This password is too common. Choose another one.")
            )


class FiniteNumber:
    """Stop validation of a decimal that is NaN or infinite before range checks compare it."""

    def __init__(self, message=None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        from wtforms.validators import StopValidation

        value = field.data
        if value is not None and hasattr(value, "is_finite") and not value.is_finite():
            raise StopValidation(self.message or _l("Enter a number."))


class DateWithin:
    """A date between two years (both included): a filter's year 9999 is a typing slip, not a period."""

    def __init__(self, first_year: int = 2000, last_year: int = 2099, message=None) -> None:
        self.first_year, self.last_year, self.message = first_year, last_year, message

    def __call__(self, form, field) -> None:
        if field.data and not self.first_year <= field.data.year <= self.last_year:
            raise ValidationError(self.message or _l("Choose a date between %(a)s and %(b)s.",
                                                     a=self.first_year, b=self.last_year))
