"""The e-mail of a refusal: whoever must mend a refused file is told, not left to find it
in Quarantine. It goes to the department the form was issued to, or to the customer
window for a registration or a file whose case cannot be told, queued in the refusal's
own transaction."""

from __future__ import annotations

from datetime import datetime

from filing import words
from filing.folders import FolderNames
from filing.records import Mail, Quarantined
from filing.registry import Registry
from forms.definition import get_form
from forms.errors import FormError
from language import _
from mail.headers import header_text
from mail.settings import MailSettings
from templates import render

#: Who mends a file nobody was issued: the customer window registers complaints.
FRONT_DESK = "customer_window"
REASON_CHARS = 2000


def department_of(registry: Registry, item: Quarantined) -> str:
    """The department the refused form was issued to (the last one), or the front desk."""
    if item.case_id is not None and item.form is not None:
        issued = [i for i in registry.issued(item.case_id) if i.form == item.form]
        if issued:
            return issued[-1].department
    return FRONT_DESK


def queue_refusal(
    registry: Registry,
    settings: MailSettings,
    item: Quarantined,
    fix: str,
    now: datetime,
    folders: FolderNames | None = None,
) -> bool:
    """Queue the refusal's mail; False when nobody has an address for it. `folders`: the
    folders as the site names them (the Inbox, Quarantine the mail sends the reader to)."""
    addresses = settings.departments.get(department_of(registry, item), ())
    if not settings.enabled or not addresses or item.quarantined_id is None:
        return False
    try:
        title = words.form_title(get_form(item.form).id) if item.form else None
    except FormError:
        title = None
    body = render(
        "mail_refusal.txt",
        file=item.source,
        case_id=item.case_id,
        form=title,
        reasons=item.reasons,
        fix=fix,
        kept=item.kept,
        reason_chars=REASON_CHARS,
        folders=folders or FolderNames(),
    )
    subject = header_text(
        _("Refused: {file} ({case})").format(file=item.source, case=item.case_id)
        if item.case_id
        else _("Refused: {file}").format(file=item.source)
    )
    return registry.queue_mail(
        Mail(
            kind="refusal",
            key=f"refusal:{item.quarantined_id}",
            case_id=item.case_id if item.case_id and registry.case(item.case_id) else None,
            to=", ".join(addresses),
            subject=subject,
            body=body,
            attachment=None,
            created_at=now,
            next_try_at=now,
        )
    )
