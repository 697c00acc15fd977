"""Where a case stands: state, what it waits for, what was filed and issued, deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from filing.calendar import WorkingCalendar
from filing.deadlines import CaseClock, Deadline, deadlines
from filing.policy import Policy
from filing.registry import Case, Registry


def outstanding(registry: Registry, case: Case) -> list[str]:
    """The forms the case waits for, in the order they are usually filed."""
    if case.state == "awaiting_triage":
        return ["registration"]
    if case.state == "awaiting_customer":
        return ["satisfaction_survey"]
    if case.state != "open":
        return []
    out: list[str] = []
    if case.parts.get("return") == "open":
        ret = registry.latest_filing(case.case_id, "return_form")
        received = (
            ret is not None
            and ret.fields.get("received_date")
            and ret.fields.get("hosts") is not None
        )
        out.append("return_tracking" if received else "return_form")
    if case.parts.get("review") == "open":
        out.append("contract_review")
    if case.parts.get("capa") == "open":
        out.append("capa")
    return out


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


def case_summary(case: Case) -> dict[str, Any]:
    """The fields that identify a case in a list (`closedloop cases`) and lead its status."""
    return {
        "case_id": case.case_id,
        "state": case.state,
        "resolution": case.resolution,
        "customer": case.customer,
        "product": case.product,
        "category": case.category,
        "department": case.department,
        "opened": case.opened_at.isoformat(timespec="seconds"),
    }


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
        "closed": case.closed_at.isoformat(timespec="seconds") if case.closed_at else None,
        "outstanding": outstanding(registry, case),
        "filed": [
            {
                "form": f.form,
                "version": f.version,
                "filed_at": f.filed_at.isoformat(timespec="seconds"),
                "file": f"{folder}/{f.file}" if folder else f.file,
            }
            for f in registry.filings(case.case_id)
        ],
        "issued": [
            {"form": i.form, "department": i.department, "file": i.file}
            for i in registry.issued(case.case_id)
        ],
        "evidence": [
            {
                "file": f"{folder}/{e.file}" if folder else e.file,
                "sha256": e.sha256,
                "filed_at": e.filed_at.isoformat(timespec="seconds"),
            }
            for e in registry.evidence(case.case_id)
        ],
        "deadlines": [d.to_json(now) for d in case_deadlines(case, policy, calendar)],
        "links": {
            "reopens": case.reopens,
            "reopened_as": case.reopened_as,
            "repeats": case.repeats,
        },
        "folder": folder,
    }
