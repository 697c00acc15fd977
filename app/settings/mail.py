"""The settings of mail: [mail], the server and the digest, and [mail.departments], the
addresses of each department's mail."""

from __future__ import annotations

import os
from datetime import time
from typing import TYPE_CHECKING, Any

from app.settings.check import nearest
from language import _
from mail.settings import SECURITY, MailSettings

if TYPE_CHECKING:
    from app.settings.reader import SettingsReader

_MAIL = MailSettings()


def _addresses(reader: SettingsReader, key: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(
        isinstance(v, str) and "@" in v.strip(" @") for v in values
    ):
        raise reader.fail(
            key,
            _("is {value}, not e-mail addresses").format(value=repr(value)),
            '["quality@example.com"]',
        )
    return tuple(v.strip() for v in values)


def read_mail(reader: SettingsReader, outboxes: dict[str, str]) -> MailSettings:
    """[mail] and [mail.departments]: the server, and whom each department's mail goes to."""
    security = reader.text("mail", "security", _MAIL.security).lower()
    if security not in SECURITY:
        raise reader.fail(
            "[mail] security",
            _("is {value}, not one of {choices}").format(
                value=repr(security), choices=", ".join(SECURITY)
            ),
            'security = "starttls"',
        )
    password = reader.text("mail", "password", "")
    variable = reader.text("mail", "password_env", "")
    if variable:
        password = os.environ.get(variable, "")
    reader.get("mail", "departments", {})
    departments = reader.free_table("mail.departments", reader.table("mail"))
    by_name = {name.casefold(): dept for dept, name in outboxes.items()}
    addresses: dict[str, tuple[str, ...]] = {}
    for key, value in departments.items():
        dept = key if key in outboxes else by_name.get(key.casefold())
        if dept is None:
            near = nearest(key, [*outboxes.values(), *outboxes])
            raise reader.fail(
                f"[mail.departments] {key}",
                _("is not a department of [departments]"),
                '"Quality Management" = "quality@example.com"',
                near,
            )
        addresses[dept] = _addresses(reader, f"[mail.departments] {key}", value)
    written_at = reader.get("mail", "digest_at", _MAIL.digest_at.isoformat("minutes"))
    digest_at = written_at
    if isinstance(digest_at, str):
        try:
            digest_at = time.fromisoformat(digest_at.strip())
        except ValueError:
            digest_at = None
    if not isinstance(digest_at, time):
        raise reader.fail(
            "[mail] digest_at",
            _("is {value}, not a time").format(value=repr(written_at)),
            'digest_at = "08:00"',
        )
    default_port = {"ssl": 465, "starttls": 587}.get(security, _MAIL.port)
    return MailSettings(
        host=reader.text("mail", "host", _MAIL.host),
        port=reader.integer("mail", "port", default_port),
        security=security,
        username=reader.text("mail", "username", ""),
        password=password,
        sender=reader.text("mail", "sender", _MAIL.sender),
        departments=addresses,
        digest_to=_addresses(reader, "[mail] digest_to", reader.get("mail", "digest_to", [])),
        digest_at=digest_at,
        due_soon_days=reader.integer("mail", "due_soon_days", _MAIL.due_soon_days),
        digest_departments=reader.flag("mail", "digest_departments", _MAIL.digest_departments),
    )
