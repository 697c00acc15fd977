"""The states a case passes through and how it ends: enums whose values are the words the
registry, case.json and the JSON output have always used (a StrEnum equals its value)."""

from __future__ import annotations

from enum import StrEnum

from language import N_


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


# How a person reads them: a page, a packet, a mail or `closedloop status` shows these
# words (translated when shown: filing.words); the ids above stay in the registry, case.json and every --json output.
STATE_WORDS: dict[str, str] = {
    CaseState.NEW: N_("Being registered"),
    CaseState.AWAITING_TRIAGE: N_("Awaiting triage"),
    CaseState.OPEN: N_("Open: actions under way"),
    CaseState.AWAITING_CUSTOMER: N_("Awaiting the customer's survey"),
    CaseState.CLOSED: N_("Closed"),
}
RESOLUTION_WORDS: dict[str, str] = {
    Resolution.NOT_ESTABLISHED: N_("Complaint not established"),
    Resolution.ACCEPTED: N_("The customer accepts the result"),
    Resolution.REJECTED: N_("The customer does not accept the result; registered again"),
}
