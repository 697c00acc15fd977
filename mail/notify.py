"""E-mail, by the names the rest of closedloop has imported it under: the settings
(`mail.settings`), composing and queueing (`mail.compose`) and sending (`mail.send`).
New code imports from those modules."""

from mail.compose import queue_digest, queue_issued
from mail.send import Sent, connect, reason, send_due
from mail.settings import SECURITY, MailSettings

__all__ = [
    "SECURITY",
    "MailSettings",
    "Sent",
    "connect",
    "queue_digest",
    "queue_issued",
    "reason",
    "send_due",
]
