"""What each department still owes: the forms issued to it that their case waits for,
each with the deadline it works to. A form the case no longer waits for (filed, the case
closed, superseded) is owed by nobody."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from filing.calendar import WorkingCalendar
from filing.deadlines import Deadline
from filing.policy import Policy
from filing.records import Case, Issued
from filing.registry import Registry
from filing.rules import rule_for
from filing.states import CaseState
from filing.status import case_deadlines, outstanding


@dataclass(frozen=True)
class Owed:
    issued: Issued
    case: Case
    due: Deadline | None  # the form's own deadline, or the case's next one

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and self.due.status(now) == "overdue"


def owed_of(
    registry: Registry, policy: Policy, calendar: WorkingCalendar, cases: Iterable[Case]
) -> list[Owed]:
    """The forms these cases wait for, each as last issued to its department."""
    out: list[Owed] = []
    for case in cases:
        if case.state == CaseState.CLOSED:
            continue
        waits = set(outstanding(registry, case))
        if not waits:
            continue
        latest: dict[tuple[str, str], Issued] = {}
        for issued in registry.issued(case.case_id):
            latest[(issued.form, issued.department)] = issued
        open_deadlines = [d for d in case_deadlines(case, policy, calendar) if d.met_at is None]
        for (form, _), issued in latest.items():
            if form in waits:
                own = [d for d in open_deadlines if d.name == rule_for(form).deadline]
                due = min(own or open_deadlines, key=lambda d: d.due, default=None)
                out.append(Owed(issued, case, due))
    return out


def owed_now(registry: Registry, policy: Policy, calendar: WorkingCalendar) -> list[Owed]:
    """Everything every department owes now."""
    cases = [
        case
        for state in (CaseState.AWAITING_TRIAGE, CaseState.OPEN, CaseState.AWAITING_CUSTOMER)
        for case in registry.cases(state)
    ]
    return owed_of(registry, policy, calendar, cases)
