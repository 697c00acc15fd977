"""Sending queued e-mail: `send_due()` runs in a thread of its own under `watch`, after the
pass under `ingest`. A send that fails is retried with growing pauses and logged; nothing
about it holds up filing. Sending is at-least-once: a run stopped between the server's
acceptance and the registry's note sends that mail again.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from archive.casefolder import case_folder
from archive.listing import NEVER_FOLLOWED
from archive.nofollow import NotARegularFile, TooLarge, read_regular
from filing.registry import Mail, Registry
from forms.container import MAX_FILE_BYTES
from forms.shown import shown
from language import _
from mail.headers import address_list, header_text, is_clean
from mail.settings import MailSettings

log = logging.getLogger("closedloop.mail")
MAX_PAUSE = timedelta(hours=1)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sent:
    mail_id: int
    to: str
    subject: str
    error: str | None = None  # None: sent
    gave_up: bool = False


def send_due(
    registry: Registry, archive: Path, settings: MailSettings, now: datetime
) -> list[Sent]:
    """Send every queued mail whose time has come, over one connection. A failure to reach
    the server leaves them all for later; a refusal of one mail marks that one."""
    due = registry.mail_due(now)
    if not due or not settings.enabled:
        return []
    out: list[Sent] = []
    try:
        with connect(settings) as smtp:
            for mail in due:
                out.append(_send_one(registry, archive, settings, smtp, mail, now))
    except (OSError, smtplib.SMTPException) as exc:
        why = reason(exc)
        for mail in due[len(out) :]:
            out.append(_failed(registry, settings, mail, why, now))
    return out


def connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _send_one(
    registry: Registry,
    archive: Path,
    settings: MailSettings,
    smtp: smtplib.SMTP,
    mail: Mail,
    now: datetime,
) -> Sent:
    assert mail.mail_id is not None
    # The header registry builds each header from a cleaned value and encodes it itself;
    # SMTP's policy writes CRLF line ends and refuses what would not survive the wire.
    message = EmailMessage(policy=email.policy.SMTP)
    try:
        message["From"] = address_list(settings.sender)
        message["To"] = address_list(mail.to)
        if not is_clean(mail.subject):  # queued so, or by hand: cleaned when it is queued
            raise ValueError(
                _("the subject {subject} holds a line break or code").format(
                    subject=shown(mail.subject)
                )
            )
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain="closedloop")
        message.set_content(mail.body)
    except (ValueError, TypeError) as exc:  # no server will take it: not worth a retry
        why = _("the message cannot be made ({why})").format(why=exc)
        return _failed(registry, settings, mail, why, now, True)
    if mail.attachment and mail.case_id:
        case = registry.case(mail.case_id)
        path = case_folder(archive, mail.case_id, case.customer if case else None) / mail.attachment
        data = _attachment(registry, archive, path, mail)
        if isinstance(data, _Unsendable):
            return _failed(registry, settings, mail, data.reason, now, data.permanent)
        kind = XLSX if path.suffix.lower() == ".xlsx" else DOCX
        main, sub = kind.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=header_text(path.name))
    try:
        smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        return _failed(registry, settings, mail, reason(exc), now, permanent=exc.smtp_code >= 500)
    except smtplib.SMTPRecipientsRefused as exc:
        return _failed(registry, settings, mail, reason(exc), now, permanent=True)
    registry.mail_sent(mail.mail_id, now)
    log.info("mailed %s to %s", mail.subject, mail.to)
    return Sent(mail.mail_id, mail.to, mail.subject)


@dataclass(frozen=True)
class _Unsendable:
    reason: str
    permanent: bool  # no retry can mend it: given up at once


def _attachment(registry: Registry, archive: Path, path: Path, mail: Mail) -> bytes | _Unsendable:
    """The issued copy as it was issued. Read without following a link at any step from
    the Archive down and without waiting on a FIFO, and held against the hash recorded
    when it was issued: a copy replaced by a link to a file elsewhere (or by other bytes)
    is never sent, and a FIFO never holds up the mail."""
    shown_path = f"{archive.name}/{path.relative_to(archive).as_posix()}"
    try:
        read = read_regular(archive, path.relative_to(archive), MAX_FILE_BYTES)
    except NotARegularFile as exc:
        return _Unsendable(
            _(
                "the attachment {path} is not sent: {what} is in its place; {never}; restore "
                "the issued copy from a backup"
            ).format(path=shown_path, what=exc.what, never=NEVER_FOLLOWED),
            permanent=True,
        )
    except TooLarge as exc:
        return _Unsendable(
            _(
                "the attachment {path} is not sent: it holds {size} bytes, more than any form; "
                "restore the issued copy from a backup"
            ).format(path=shown_path, size=exc.size),
            permanent=True,
        )
    except OSError as exc:  # missing for now, a permission: tried again later
        return _Unsendable(
            _("the attachment {path}: {why}").format(path=path, why=exc.strerror), permanent=False
        )
    issued = {i.copy: i.sha256 for i in registry.issued(mail.case_id or "")}
    recorded = issued.get(mail.attachment)
    if recorded is not None and read.sha256 != recorded:
        return _Unsendable(
            _(
                "the attachment {path} is not sent: it is not the copy issued (its SHA-256 is "
                "{found}, {recorded} was issued); restore the issued copy from a backup"
            ).format(path=shown_path, found=read.sha256, recorded=recorded),
            permanent=True,
        )
    return read.data


def _failed(
    registry: Registry,
    settings: MailSettings,
    mail: Mail,
    reason: str,
    now: datetime,
    permanent: bool = False,
) -> Sent:
    assert mail.mail_id is not None
    attempts = mail.attempts + 1
    give_up = permanent or attempts >= settings.give_up_after
    pause = min(timedelta(minutes=2 ** (attempts - 1)), MAX_PAUSE)
    registry.mail_failed(mail.mail_id, reason, now + pause, give_up)
    if give_up:
        log.error(
            "mail to %s (%s) not sent after %d attempts, given up: %s; correct [mail] in "
            "closedloop.toml; the form is in the outbox all the same",
            mail.to,
            shown(mail.subject, 300),
            attempts,
            shown(reason, 300),
        )
    else:
        log.warning(
            "mail to %s (%s) not sent: %s; trying again at %s",
            mail.to,
            shown(mail.subject, 300),
            shown(reason, 300),
            (now + pause).strftime("%H:%M"),
        )
    return Sent(mail.mail_id, mail.to, mail.subject, reason, give_up)


def reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return _("the server answered {code} {text}").format(code=exc.smtp_code, text=text)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("the server refused {addresses}").format(addresses=", ".join(exc.recipients))
    if isinstance(exc, OSError):
        return _("cannot reach the mail server ({why})").format(why=exc.strerror or exc)
    return str(exc)
