"""What a closure packet's cover says, in the words of the people who read it: the case
(its category, department, state and how it ended by their names, not their ids), the
deadlines, responsibility and costs (money with the site's currency), the customer's
ratings and comments, who signed what, the timeline and the documents. Times are to the
minute. The page itself is templates/packet_cover.html.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from filing.calendar import WorkingCalendar
from filing.policy import Policy
from filing.records import Case, Filing
from filing.registry import Registry
from filing.states import CaseState
from filing.status import case_deadlines
from filing.words import (
    category_label,
    day_or_minute,
    deadline_words,
    department_name,
    field_text,
    form_title,
    minute,
    note_words,
    resolution_words,
    state_words,
    value_text,
)
from forms.definition import get_form
from templates import render

COST_FIELDS = (
    "root_cause",
    "responsible_department",
    "responsible_person",
    "responsibility_type",
    "responsibility_share",
    "handling_plan",
    "handling_details",
    "deduction_amount",
    "working_hours",
    "working_hours_department",
)
SURVEY = "satisfaction_survey"
# The survey's own copy of the case's customer and product: already at the top.
SURVEY_LEFT_OUT = frozenset({"customer", "product"})
# A sign-off is a `<who>_by` field; its date is the `<who>_date` (or _on, _at) beside it.
SIGNED, DATED = "_by", ("_date", "_on", "_at")


def cover_html(
    registry: Registry,
    policy: Policy,
    currency: str,
    case: Case,
    sealed: str,
    now: datetime,
    failures: list[dict[str, str]],
    unavailable: list[dict[str, str]],
) -> str:
    """The cover page's HTML (rendered to PDF by WeasyPrint)."""
    filings = registry.filings(case.case_id)
    latest = _latest(filings)
    capa = latest.get("capa")
    survey = latest.get(SURVEY)
    outboxes = policy.outboxes
    return render(
        "packet_cover.html",
        title=f"{case.case_id} Closure Packet",
        case=case,
        summary=_summary(case, outboxes, sealed),
        settled=[
            shown
            for field_id in COST_FIELDS
            if capa is not None
            and (shown := field_text("capa", field_id, capa.fields.get(field_id), currency))
        ],
        has_capa=capa is not None,
        survey=None if survey is None else _survey(survey, currency),
        signoffs=[s for f in latest.values() for s in _signoffs(f)],
        deadlines=_deadlines(case, policy, now),
        history=[
            {
                "at": minute(e.at),
                "event": e.event,
                "form": form_title(e.form),
                "who": e.person or "",
                "detail": note_words(e.detail, outboxes),
            }
            for e in registry.history(case.case_id)
        ],
        documents=[
            {
                "file": f.file,
                "what": f"{form_title(f.form)}, version {f.version}",
                "at": minute(f.filed_at),
                "sha256": f.sha256,
            }
            for f in filings
        ],
        failures=failures,
        unavailable=unavailable,
        written=minute(now),
    )


def _latest(filings: list[Filing]) -> dict[str, Filing]:
    """The version in force of each form filed, in the order the forms were first filed."""
    latest: dict[str, Filing] = {}
    for f in filings:
        if f.form not in latest or f.version > latest[f.form].version:
            latest[f.form] = f
    return latest


def _summary(case: Case, outboxes: Any, sealed: str) -> list[tuple[str, str]]:
    rows = [
        ("Case number", case.case_id),
        ("Customer", case.customer or ""),
        ("Product / model", case.product or ""),
        ("Category", category_label(case.category)),
        ("Responsible department", department_name(outboxes, case.department) or "not routed"),
        ("State", state_words(case.state)),
        ("Resolution", resolution_words(case.resolution) or "none yet"),
        ("Received", day_or_minute(case.received_at)),
        ("Opened", minute(case.opened_at)),
        ("Closed", minute(case.closed_at)),
    ]
    if sealed:
        rows.append(("Sealed in", sealed))
    if case.reopens:
        rows.append(("Registers again", case.reopens))
    if case.reopened_as:
        rows.append(("Registered again as", case.reopened_as))
    if case.repeats:
        rows.append(("Repeats", ", ".join(case.repeats)))
    return rows


def _deadlines(case: Case, policy: Policy, now: datetime) -> list[dict[str, str]]:
    out = []
    for d in case_deadlines(case, policy, WorkingCalendar(policy.calendar)):
        status: str = d.status(now)
        if status == "overdue" and case.state == CaseState.CLOSED:
            status = "missed"  # a closed case can no longer meet it
        out.append(
            {
                "name": deadline_words(d.name),
                "due": minute(d.due),
                "met": day_or_minute(d.met_at),
                "status": status,
            }
        )
    return out


def _survey(survey: Filing, currency: str) -> list[tuple[str, str]]:
    """The customer's ratings, acceptance and comments, as the survey form asks them."""
    form = get_form(SURVEY)
    return [
        (f.label, text)
        for f in form.fields
        if f.id not in SURVEY_LEFT_OUT
        and (text := value_text(f, survey.fields.get(f.id), currency))
    ]


def _signoffs(filing: Filing) -> list[dict[str, str]]:
    """Who prepared, approved, acknowledged... on a filed form, and when."""
    form = get_form(filing.form)
    out = []
    for f in form.fields:
        who = filing.fields.get(f.id)
        if not f.id.endswith(SIGNED) or f.type != "text" or not who:
            continue
        stem = f.id[: -len(SIGNED)]
        when = next(
            (filing.fields.get(stem + end) for end in DATED if filing.fields.get(stem + end)),
            None,
        )
        out.append({"form": form.title, "what": f.label, "who": str(who), "when": minute(when)})
    return out
