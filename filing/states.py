"""The states a case passes through and how it ends: enums whose values are the words the
registry, case.json and the JSON output have always used (a StrEnum equals its value)."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    NEW = "new"  # being registered: only inside the filing that opens it
    AWAITING_TRIAGE = "awaiting_triage"
    OPEN = "open"
    AWAITING_CUSTOMER = "awaiting_customer"
    CLOSED = "closed"


class Resolution(StrEnum):
    NOT_ESTABLISHED = "not_established"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
