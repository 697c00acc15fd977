"""Errors of the filing package: each names the case, the form and what the case waits for."""

from __future__ import annotations

from language import _


class FilingError(Exception):
    """Base error of the filing package."""


class PolicyError(FilingError):
    """A setting of the complaint loop (deadline, calendar, routing) cannot be used."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(_("setting '{key}': {reason}").format(key=key, reason=reason))
