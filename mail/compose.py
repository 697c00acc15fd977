"""Composing e-mail: the department a form is issued to gets it attached with a short
summary (templates/mail_issued.txt), and a daily digest lists what is due soon and what
is overdue (templates/mail_digest.txt).

Mail is queued in the registry inside the filing's own transaction (so a filing and its
mail are both there or both not); `mail.send` sends it afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from filing.calendar import WorkingCalendar
from filing.engine import IssuedForm
from filing.policy import Policy
from filing.registry import Mail, Registry
from filing.rules import rule_for
from filing.status import case_deadlines, outstanding
from forms.definition import get_form
from mail.headers import header_text
from mail.refusal import department_of
from mail.settings import MailSettings
from reports.figures import category_label
from templates import render


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
    body = render(
        "mail_issued.txt",
        case=case,
        category=category_label(case.category) if case and case.category else "",
        form=form,
        why=item.why,
        due=due,
        department=department,
        outbox=item.outbox.as_posix(),
    )
    subject = f"{item.case_id} {form.title}" + (
        f": {case.customer}" if case and case.customer else ""
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
        subject = f"Complaints {now:%Y-%m-%d}: {len(mine)} overdue, {len(soon)} due soon"
        if theirs:
            subject += f", {len(theirs)} refused"
        nothing = department is not None and not mine and not soon and not theirs
        registry.queue_mail(
            Mail(
                kind="digest",
                key=key,
                case_id=None,
                to=", ".join(addresses),
                subject=header_text(f"{name}: {subject}" if name else subject),
                body=render(
                    "mail_digest.txt",
                    day=now.date(),
                    department=name,
                    overdue=mine,
                    due_soon=soon,
                    refused=theirs,
                    days=settings.due_soon_days,
                    chain_seq=chain_seq,
                    chain_head=chain_head,
                ),
                attachment=None,
                created_at=now,
                next_try_at=now,
                sent_at=now if nothing else None,  # nothing to tell: done, not sent
            )
        )
        queued += not nothing
    return queued


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
        waiting = [get_form(f).title for f in outstanding(registry, case)]
        row = {
            "case": case,
            "department": policy.outboxes.get(case.department or "", case.department or ""),
            "waiting": ", ".join(waiting),
        }
        for d in case_deadlines(case, policy, calendar):
            if d.met_at is not None:
                continue
            if d.due < now:
                overdue.append({**row, "deadline": d})
            elif d.due <= soon:
                due_soon.append({**row, "deadline": d})
    overdue.sort(key=lambda r: r["deadline"].due)
    due_soon.sort(key=lambda r: r["deadline"].due)
    return overdue, due_soon
