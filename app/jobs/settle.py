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
from archive.journal import NOTE_SUFFIX, journaled
from filing.records import Quarantined

if TYPE_CHECKING:
    from app.application import App


#: What settled a refused file a person removed (with its note) from Quarantine.
REMOVED = "removed from Quarantine by a person"

#: A refused file, and the name of the file whose filing settles it.
Settling = tuple[Quarantined, str]


class SettleQuarantineJob(Job[Settling, str]):
    def todo(self, app: App, trigger: Trigger) -> Sequence[Settling]:
        filed = trigger.filed
        if trigger.when is When.FILED and filed is not None:
            waiting = app.registry.settled_by(filed.file, filed.case_id, filed.form)
            return [(item, filed.file) for item in waiting]
        if trigger.when in (When.START, When.LOOK):
            # A settling cut short (Settled/ unusable for a while): done now; and a refused
            # file a person removed with its note needs nobody any more.
            out: list[Settling] = []
            for item in app.registry.quarantined_waiting():
                if (by := app.registry.settled_since(item)) is not None:
                    out.append((item, by))
                elif not any(os.path.lexists(app.folder.root / p) for p in (item.kept, item.note)):
                    out.append((item, REMOVED))
            return out
        return []

    def do(self, app: App, work: Settling, now: datetime) -> str:
        """Move the refused copy and its note to Settled/ under one free name, through the
        journal: the moves commit with the settling, so a stop leaves both in Quarantine
        or both settled (finished at the next start), never a file parted from its note."""
        item, by = work
        if by == REMOVED:  # nothing left to move
            with app.registry.transaction():
                if item.quarantined_id is not None:
                    app.registry.settle(item.quarantined_id, now, by)
            return app.folder.names.settled
        settled = settled_folder(app.folder.settled)
        kept, note = app.folder.root / item.kept, app.folder.root / item.note
        target = free_name(settled / kept.name, len(NOTE_SUFFIX), beside=NOTE_SUFFIX)
        with journaled(app.registry, app.folder.root, now) as plan:
            for source, place in (
                (kept, target),
                (note, target.with_name(target.name + NOTE_SUFFIX)),
            ):
                try:
                    info = os.lstat(source)
                except FileNotFoundError:  # a person removed it already
                    continue
                # Moved as the entry itself: a link put in its place is moved as a link.
                plan.move_entry(source, place, (info.st_dev, info.st_ino))
            if item.quarantined_id is not None:
                app.registry.settle(item.quarantined_id, now, by)
        return settled.name

    def done(self, app: App, work: Settling, made: str | Exception, now: datetime) -> Done:
        if isinstance(made, OSError):
            return Done()  # Settled/ unusable now: the next look settles it
        if isinstance(made, Exception):
            raise made
        return Done()


def settled_folder(settled: Path) -> Path:
    """Quarantine/Settled, made when missing; never one that is a link (OSError)."""
    try:
        info = os.lstat(settled)
    except FileNotFoundError:
        settled.mkdir()
        return settled
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(f"{settled} is not a folder (a link, or a file)")
    return settled
