"""Quarantine holds what still needs a person: when a refused file is settled (the same
file name saved again and filed, or the same case and form filed), the refused copy and
its note move to Quarantine/Settled/."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from archive.casefolder import free_name
from filing.records import Quarantined

if TYPE_CHECKING:
    from app.application import App

SETTLED = "Settled"


#: A refused file, and the name of the file whose filing settles it.
Settling = tuple[Quarantined, str]


class SettleQuarantineJob(Job[Settling, str]):
    def todo(self, app: App, trigger: Trigger) -> Sequence[Settling]:
        filed = trigger.filed
        if trigger.when is not When.FILED or filed is None:
            return []
        waiting = app.registry.settled_by(filed.file, filed.case_id, filed.form)
        return [(item, filed.file) for item in waiting]

    def do(self, app: App, work: Settling, now: datetime) -> str:
        item, _ = work
        settled = settled_folder(app.folder.quarantine)
        for kept in (item.kept, item.note):
            source = app.folder.root / kept
            if os.path.lexists(source):  # a person may have removed it already
                # A rename moves an entry itself: a link put in its place is moved as a link.
                source.rename(free_name(settled / source.name))
        return settled.name

    def done(self, app: App, work: Settling, made: str | Exception, now: datetime) -> Done:
        if isinstance(made, OSError):
            return Done()  # held open, or gone: the next filing that settles it tries again
        if isinstance(made, Exception):
            raise made
        item, by = work
        if item.quarantined_id is not None:
            with app.registry.transaction():
                app.registry.settle(item.quarantined_id, now, by)
        return Done()


def settled_folder(quarantine: Path) -> Path:
    """Quarantine/Settled, made when missing; never one that is a link (OSError)."""
    settled = quarantine / SETTLED
    try:
        info = os.lstat(settled)
    except FileNotFoundError:
        settled.mkdir()
        return settled
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(f"{settled} is not a folder (a link, or a file)")
    return settled
