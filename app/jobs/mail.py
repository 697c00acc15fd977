"""Mail: today's digest queued once its hour has come, and every queued mail whose time has
come sent (issued forms' mails are queued inside their filing's transaction). `watch`
sends on a thread of its own: a slow or absent mail server never holds up filing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from app.results import FileResult, Outcome
from language import _
from mail.compose import queue_digest
from mail.send import Sent, send_due

if TYPE_CHECKING:
    from app.application import App

SEND = "send"  # the one piece of work: look at the queue


class MailJob(Job[str, list[Sent]]):
    slow = True

    def __init__(self, every: float = 30.0) -> None:
        self.every = every  # seconds between looks at the queue while the folder is quiet

    def todo(self, app: App, trigger: Trigger) -> Sequence[str]:
        return [SEND] if trigger.when is When.LOOK else []

    def do(self, app: App, work: str, now: datetime) -> list[Sent]:
        mail = app.settings.mail
        queue_digest(app.registry, mail, app.settings.policy, now)
        return send_due(app.registry, app.folder.archive, mail, now)

    def done(self, app: App, work: str, made: list[Sent] | Exception, now: datetime) -> Done:
        if isinstance(made, Exception):
            raise made
        return Done(
            results=[
                FileResult(
                    s.subject,
                    Outcome.MAILED if s.error is None else Outcome.UNSENT,
                    reason=_sent(s),
                )
                for s in made
            ]
        )


def _sent(s: Sent) -> str:
    """Where a mail went, or why it did not."""
    if s.error is None:
        return _("to {to}").format(to=s.to)
    if s.gave_up:
        return _("to {to}: {error}; given up").format(to=s.to, error=s.error)
    return _("to {to}: {error}; it is tried again later").format(to=s.to, error=s.error)
