"""What a closure packet's cover says, in the words of the people who read it: the case
(its category, department, state and how it ended by their names, not their ids), the
deadlines, responsibility and costs (money with the site's currency), the customer's
ratings and comments, who signed what, the timeline and the documents. Times are to the
minute. All of it in the language in use (the folder's: App says it), with the forms'
titles and labels in that language too. The page itself is templates/packet_cover.html.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.page_words import css_content, filed_form, fonts, in_context, status_words
from archive.timeline import timeline
from filing.calendar import WorkingCalendar
from filing.policy import Policy
from filing.records import Case, Filing
from filing.registry import Registry
from filing.states import CaseState
from filing.status import case_deadlines
from filing.words import (
    and_more,
    category_label,
    day_or_minute,
    deadline_words,
    department_name,
    field_text,
    form_title,
    minute,
    resolution_words,
    state_words,
    value_text,
)
from forms.definition import get_form
from language import _, current
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
    company: str = "",
) -> str:
    """The cover page's HTML (rendered to PDF by WeasyPrint), in the language in use."""
    filings = registry.filings(case.case_id)
    latest = _latest(filings)
    capa = latest.get("capa")
    survey = latest.get(SURVEY)
    outboxes = policy.outboxes
    title = packet_title(case.case_id)
    written = minute(now)
    return render(
        "packet_cover.html",
        lang=current(),
        fonts=fonts(),
        c=in_context,
        title=title,
        running={
            "title": css_content(title),
            "written": css_content(_("written {at}").format(at=written)),
            "page": css_content(_("Cover, page {page} of {pages}")),
        },
        company=company,
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
        forms={"capa": form_title("capa"), "survey": form_title(SURVEY)},
        signoffs=[s for f in latest.values() for s in _signoffs(f)],
        deadlines=_deadlines(case, policy, now),
        history=timeline(registry.history(case.case_id), outboxes),
        documents=[
            {
                "file": f.file,
                "what": filed_form(f.form, f.version),
                "at": minute(f.filed_at),
                "sha256": f.sha256,
            }
            for f in filings
        ],
        failures=failures,
        unavailable=unavailable,
        written=written,
    )


def packet_title(case_id: str) -> str:
    """`CC-2026-0001 Closure Packet`, in the language in use (the file keeps its English
    name: archive/casefile.py and `rebuild` know it by that)."""
    return _("{case_id} Closure Packet").format(case_id=case_id)


def _latest(filings: list[Filing]) -> dict[str, Filing]:
    """The version in force of each form filed, in the order the forms were first filed."""
    latest: dict[str, Filing] = {}
    for f in filings:
        if f.form not in latest or f.version > latest[f.form].version:
            latest[f.form] = f
    return latest


def _summary(case: Case, outboxes: Any, sealed: str) -> list[tuple[str, str]]:
    rows = [
        (_("Case number"), case.case_id),
        (_("Customer"), case.customer or ""),
        (_("Product / model"), case.product or ""),
        (_("Category"), category_label(case.category)),
        (
            _("Responsible department"),
            department_name(outboxes, case.department) or _("not routed"),
        ),
        (_("State"), state_words(case.state)),
        (_("Resolution"), resolution_words(case.resolution) or _("none yet")),
        (_("Received"), day_or_minute(case.received_at)),
        (in_context(_("when|Opened")), minute(case.opened_at)),
        (in_context(_("when|Closed")), minute(case.closed_at)),
    ]
    if sealed:
        rows.append((_("Sealed in"), sealed))
    if case.reopens:
        rows.append((_("Registers again"), case.reopens))
    if case.reopened_as:
        rows.append((_("Registered again as"), case.reopened_as))
    if case.repeats:
        more = and_more(case.repeats_total - len(case.repeats))
        rows.append((_("Repeats"), _(", ").join(case.repeats) + more))
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
                "shown": status_words(status),
            }
        )
    return out


def _survey(survey: Filing, currency: str) -> list[tuple[str, str]]:
    """The customer's ratings, acceptance and comments, as the survey form asks them."""
    form = get_form(SURVEY)
    return [
        (f.label_in(current()), text)
        for f in form.fields
        if f.id not in SURVEY_LEFT_OUT
        and (text := value_text(f, survey.fields.get(f.id), currency))
    ]


def _signoffs(filing: Filing) -> list[dict[str, str]]:
    """Who prepared, approved, acknowledged... on a filed form, and when."""
    form = get_form(filing.form)
    language = current()
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
        out.append(
            {
                "form": form.title_in(language),
                "what": f.label_in(language),
                "who": str(who),
                "when": minute(when),
            }
        )
    return out
