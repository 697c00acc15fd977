"""The auditor's pages (Archive/index.html and a page per case) follow every change; on
a registry several sites share, the group's index (Archive/group.html) follows the
registry at each look."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When

if TYPE_CHECKING:
    from app.application import App

#: The work of a start or a look: every page not yet brought up to the registry.
STALE = ""


class AuditorPagesJob(Job[str, None]):
    def todo(self, app: App, trigger: Trigger) -> Sequence[str]:
        # Cases changed by the filing, or by a job before this one (a packet, a seal).
        # At a start and at each look, the pages are brought up to the registry (what a
        # stopped run or another process changed): cheap, it follows what changed.
        caught_up = [STALE] if trigger.when in (When.START, When.LOOK) else []
        return caught_up + list(trigger.cases)

    def do(self, app: App, work: str, now: datetime) -> None:
        # Derived pages: one that cannot be written now is written at the next start; one
        # that cannot be made at all (a value an older closedloop let in) never stops the
        # filing that changed it.
        with contextlib.suppress(OSError, ArithmeticError, ValueError):
            if work == STALE:
                app.pages.refresh_stale(now)
            else:
                app.pages.case_changed(work, now)

    def done(self, app: App, work: str, made: Exception | None, now: datetime) -> Done:
        if isinstance(made, Exception):
            raise made
        return Done()


class GroupIndexJob(Job[str, None]):
    """Other sites' filings reach this folder only through the registry: looked at when a
    run starts and at each look (a pass's end, the service's rescan), not per filing."""

    def todo(self, app: App, trigger: Trigger) -> Sequence[str]:
        return ["group"] if trigger.when in (When.START, When.LOOK) else []

    def do(self, app: App, work: str, now: datetime) -> None:
        with contextlib.suppress(OSError, ArithmeticError, ValueError):
            app.group_index.refresh(now)

    def done(self, app: App, work: str, made: Exception | None, now: datetime) -> Done:
        if isinstance(made, Exception):
            raise made
        return Done()
