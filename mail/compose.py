"""Composing e-mail: the department a form is issued to gets it attached with a short
summary (templates/mail_issued.txt), and a daily digest lists what is due soon and what
is overdue (templates/mail_digest.txt).

Mail is queued in the registry inside the filing's own transaction (so a filing and its
mail are both there or both not); `mail.send` sends it afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from filing import words
from filing.calendar import WorkingCalendar
from filing.engine import IssuedForm
from filing.policy import Policy
from filing.registry import Mail, Registry
from filing.rules import rule_for
from filing.status import case_deadlines, outstanding
from forms.definition import FormDefinition, get_form
from forms.shown import shown
from language import N_, _, current, formats, ngettext
from mail.headers import header_text
from mail.refusal import department_of
from mail.settings import MailSettings
from reports.contents import deadline_label
from reports.figures import category_label
from templates import render

# What each form asks, as its definition's `purpose` says it in English: the definitions
# carry no other language for it, so the mail's catalog does.
PURPOSES = {
    "registration": N_(
        "Records a customer complaint as it arrives, then the triage decision: is it "
        "established, and who handles it."
    ),
    "return_form": N_("Authorises a customer return and records the goods when they arrive back."),
    "return_tracking": N_(
        "Follows returned goods through inspection, repair and re-storage; records replaced "
        "items so the customer can be charged."
    ),
    "contract_review": N_(
        "Reviews a customer requirement that changes the product: samples by After-sales "
        "(10 sets or fewer) or R&D route (more)."
    ),
    "capa": N_(
        "Root cause, responsibility, corrective and preventive actions, verification, "
        "standardisation, the approved handling plan and the costs that settle the case."
    ),
    "satisfaction_survey": N_(
        "Confirms the result with the customer: accepted closes the case; not accepted "
        "registers it again as a new complaint."
    ),
}
# Why a form is issued, as the filing rules say it (filing/rules: ToIssue.why): recorded
# nowhere, said only here. English shows it as the rules write it; another language by
# this table, ids put in words; a reason not in it is shown as written.
_CASE = r"(?P<case>[A-Z]+-\d{4}-\d+)"
WHY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), said)
    for pattern, said in (
        ("registered; triage it", N_("registered; triage it")),
        ("complaint established", N_("complaint established")),
        ("customer asks for (?P<asks>[a-z_, ]+)", N_("customer asks for {asks}")),
        ("special requirement", N_("special requirement")),
        (f"re-registers {_CASE}", N_("re-registers {case}")),
        ("every part done", N_("every part done")),
        (
            r"(?P<hosts>\d+) hosts, (?P<accessories>\d+) accessories received",
            N_("{hosts} hosts, {accessories} accessories received"),
        ),
    )
)
LABEL_WIDTH = 11  # "Customer:  ACME": the values of the issued mail's head line up


def purpose(form: FormDefinition) -> str:
    """What the form asks, in the language in use (its definition's words if they changed)."""
    known = PURPOSES.get(form.id)
    return _(known) if known == form.purpose else form.purpose


def why_words(why: str) -> str:
    """Why a form is issued, in the language in use."""
    if current() == "en":
        return why
    for pattern, said in WHY:
        found = pattern.match(why)
        if found is None:
            continue
        values = found.groupdict()
        if "asks" in values:  # the customer's requests by their ids: by their labels
            asks = get_form("registration").field("customer_requirement")
            values["asks"] = _(", ").join(
                asks.choice_label(a, current()) for a in values["asks"].split(", ")
            )
        return _(said).format(**values)
    return why


def _labelled(label: str, value: str) -> str:
    """`label` padded so the value starts in the same column (a Chinese character takes two)."""
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    return label + " " * max(1, LABEL_WIDTH - width) + value


def queue_issued(
    registry: Registry,
    settings: MailSettings,
    policy: Policy,
    calendar: WorkingCalendar,
    item: IssuedForm,
    copy: str,
    now: datetime,
) -> None:
    """Queue the e-mail of a form just issued (inside the filing's transaction). `copy` is
    the issued copy's place in the case folder: the attachment, as sent."""
    addresses = settings.departments.get(item.department, ())
    if not settings.enabled or not addresses:
        return
    case = registry.case(item.case_id)
    form = get_form(item.form)
    deadlines = (
        [d for d in case_deadlines(case, policy, calendar) if d.met_at is None] if case else []
    )
    wanted = [d for d in deadlines if d.name == rule_for(item.form).deadline]
    due = min(wanted or deadlines, key=lambda d: d.due, default=None)
    department = policy.outboxes.get(item.department, item.department)
    title = words.form_title(form.id)
    customer = case.customer or "" if case else ""
    body = render(
        "mail_issued.txt",
        case_id=case.case_id if case else "",
        title=title,
        department=department,
        lines=[
            _labelled(_("Case:"), case.case_id if case else ""),
            _labelled(_("Customer:"), shown(customer)),
            _labelled(_("Product:"), shown(case.product or "" if case else "")),
            _labelled(
                _("Category:"), category_label(case.category) if case and case.category else ""
            ),
        ],
        purpose=purpose(form),
        why=why_words(item.why),
        due=formats.minute(due.due) if due else None,
        deadline=deadline_label(due.name) if due else None,
        outbox=item.outbox.as_posix(),
        inbox=policy.folders.inbox,
    )
    subject = (
        _("{case} {form}: {customer}").format(case=item.case_id, form=title, customer=customer)
        if customer
        else f"{item.case_id} {title}"
    )
    # A name's line break, typed or hidden in an encoded word, must end no header.
    subject = header_text(subject)
    registry.queue_mail(
        Mail(
            kind="issued",
            key=f"issued:{item.case_id}:{copy}",
            case_id=item.case_id,
            to=", ".join(addresses),
            subject=subject,
            body=body,
            attachment=copy,
            created_at=now,
            next_try_at=now,
        )
    )


def queue_digest(registry: Registry, settings: MailSettings, policy: Policy, now: datetime) -> int:
    """Queue today's digests once their hour has come: the whole list to `digest_to`, and
    to each department with an address the part that is its own. Each is queued once a
    day (a department with nothing due gets none, and that is noted as done); returns how
    many were queued now."""
    if not settings.enabled or now.time() < settings.digest_at:
        return 0
    day = now.date().isoformat()
    readers: list[tuple[str, str | None, tuple[str, ...]]] = []
    if settings.digest_to:
        readers.append((f"digest:{day}", None, settings.digest_to))
    if settings.digest_departments:
        readers += [(f"digest:{day}:{d}", d, a) for d, a in sorted(settings.departments.items())]
    readers = [r for r in readers if not registry.mail_queued(r[0])]
    if not readers:
        return 0
    overdue, due_soon = _due(registry, policy, now, settings.due_soon_days)
    # Refused files still waiting in Quarantine, each with who must mend it.
    refused = [(department_of(registry, q), q) for q in registry.quarantined_waiting()]
    chain_seq, chain_head = registry.chain_head()
    queued = 0
    for key, department, addresses in readers:
        mine = [r for r in overdue if department in (None, r["case"].department)]
        soon = [r for r in due_soon if department in (None, r["case"].department)]
        theirs = [q for d, q in refused if department in (None, d)]
        name = policy.outboxes.get(department, department) if department else None
        nothing = department is not None and not mine and not soon and not theirs
        registry.queue_mail(
            Mail(
                kind="digest",
                key=key,
                case_id=None,
                to=", ".join(addresses),
                subject=header_text(_digest_subject(now, name, len(mine), len(soon), len(theirs))),
                body=render(
                    "mail_digest.txt",
                    head=_digest_head(
                        now, name, len(mine), len(soon), len(theirs), settings, policy
                    ),
                    department=name,
                    overdue=mine,
                    due_soon=soon,
                    refused=theirs,
                    days=settings.due_soon_days,
                    chain_seq=chain_seq,
                    chain_head=chain_head,
                    folders=policy.folders,
                ),
                attachment=None,
                created_at=now,
                next_try_at=now,
                sent_at=now if nothing else None,  # nothing to tell: done, not sent
            )
        )
        queued += not nothing
    return queued


def _digest_subject(
    now: datetime, department: str | None, overdue: int, soon: int, refused: int
) -> str:
    subject = _("Complaints {day}: {overdue} overdue, {soon} due soon").format(
        day=formats.day(now), overdue=overdue, soon=soon
    )
    if refused:
        subject += _(", {count} refused").format(count=refused)
    if department:
        subject = _("{department}: {subject}").format(department=department, subject=subject)
    return subject


def _digest_head(
    now: datetime,
    department: str | None,
    overdue: int,
    soon: int,
    refused: int,
    settings: MailSettings,
    policy: Policy,
) -> str:
    """The digest's first line: what it counts, for whom."""
    counts = {"day": formats.day(now), "overdue": overdue, "soon": soon}
    days = settings.due_soon_days
    head = (
        _(
            "Customer complaints on {day} for {department}: {overdue} overdue, {soon} due "
            "within {days} days"
        ).format(department=department, days=days, **counts)
        if department
        else _(
            "Customer complaints on {day}: {overdue} overdue, {soon} due within {days} days"
        ).format(days=days, **counts)
    )
    if not refused:
        return _("{head}.").format(head=head)
    return ngettext(
        "{head}, {count} refused file waiting in {quarantine}.",
        "{head}, {count} refused files waiting in {quarantine}.",
        refused,
    ).format(head=head, count=refused, quarantine=policy.folders.quarantine)


def _due(
    registry: Registry, policy: Policy, now: datetime, days: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deadlines of cases under way: passed and not met, and due within `days`."""
    calendar = WorkingCalendar(policy.calendar)
    soon = now + timedelta(days=days)
    overdue: list[dict[str, Any]] = []
    due_soon: list[dict[str, Any]] = []
    for case in registry.cases():
        if case.state == "closed":
            continue
        waiting = [words.form_title(f) for f in outstanding(registry, case)]
        row = {
            "case": case,
            "department": policy.outboxes.get(case.department or "", case.department or ""),
            "waiting": _(", ").join(waiting),
        }
        for d in case_deadlines(case, policy, calendar):
            if d.met_at is None and d.due <= soon:
                said = {"deadline": d, "name": deadline_label(d.name), "due": formats.minute(d.due)}
                (overdue if d.due < now else due_soon).append({**row, **said})
    overdue.sort(key=lambda r: r["deadline"].due)
    due_soon.sort(key=lambda r: r["deadline"].due)
    return overdue, due_soon
