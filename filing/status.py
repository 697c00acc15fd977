"""Where a case stands: state, what it waits for, what was filed and issued, deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from filing.calendar import WorkingCalendar
from filing.deadlines import CaseClock, Deadline, deadlines
from filing.policy import Policy
from filing.records import Case
from filing.registry import Registry
from filing.rules import outstanding as outstanding  # re-exported: asked of the rules


def case_deadlines(case: Case, policy: Policy, calendar: WorkingCalendar) -> list[Deadline]:
    clock = CaseClock(
        received_at=case.received_at,
        registered_at=case.opened_at,
        triaged_at=case.triaged_at,
        containment_needed=case.containment_needed,
        confirmed_at=case.confirmed_at,
        contained_at=case.contained_at,
        actions_done_on=case.actions_done_on,
        closed_at=case.closed_at,
        actions_needed=case.resolution != "not_established",
    )
    return deadlines(clock, policy.deadlines, calendar)


def is_overdue(case: Case, policy: Policy, calendar: WorkingCalendar, now: datetime) -> bool:
    """A case still under way with a deadline passed and not met (a closed case can no
    longer act on one: its deadlines are history)."""
    if case.state == "closed":
        return False
    return any(d.status(now) == "overdue" for d in case_deadlines(case, policy, calendar))


# `closedloop status --json` and `closedloop cases --json` are documented: they show the
# records' JSON (filing/records.py) cut to these keys, times to the second, and files
# under the case's folder.
_SUMMARY = ("case_id", "state", "resolution", "customer", "product", "category", "department")
_FILED = ("form", "version", "filed_at", "file")
_ISSUED = ("form", "department", "file")
_EVIDENCE = ("file", "sha256", "filed_at")
_LINKS = ("reopens", "reopened_as", "repeats")


def _view(record: dict[str, Any], keys: tuple[str, ...], **shown: Any) -> dict[str, Any]:
    """A record's JSON cut to `keys`, the values in `shown` put in place of its own."""
    return {key: shown[key] if key in shown else record[key] for key in keys}


def _second(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at is not None else None


def _under(folder: str | None, file: str) -> str:
    return f"{folder}/{file}" if folder else file


def case_summary(case: Case) -> dict[str, Any]:
    """The fields that identify a case in a list (`closedloop cases`) and lead its status."""
    return {**_view(case.to_json(), _SUMMARY), "opened": _second(case.opened_at)}


def case_status(
    registry: Registry,
    case: Case,
    policy: Policy,
    calendar: WorkingCalendar,
    now: datetime,
    folder: str | None,
) -> dict[str, Any]:
    """The JSON shape of `closedloop status`."""
    return {
        **case_summary(case),
        "closed": _second(case.closed_at),
        "outstanding": outstanding(registry, case),
        "filed": [
            _view(f.to_json(), _FILED, filed_at=_second(f.filed_at), file=_under(folder, f.file))
            for f in registry.filings(case.case_id)
        ],
        "issued": [_view(i.to_json(), _ISSUED) for i in registry.issued(case.case_id)],
        "evidence": [
            _view(e.to_json(), _EVIDENCE, file=_under(folder, e.file), filed_at=_second(e.filed_at))
            for e in registry.evidence(case.case_id)
        ],
        "deadlines": [d.to_json(now) for d in case_deadlines(case, policy, calendar)],
        "links": _view(case.to_json(), _LINKS),
        "folder": folder,
    }
