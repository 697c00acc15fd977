"""Quarantine: a refused Inbox entry is moved there beside a note saying what to fix,
through the journal, so a crash leaves it in the Inbox or both in place."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from app.folder import SharedFolder
from app.intake.inbox import MAX_DEPTH
from archive.casefolder import free_name, safe_name
from archive.journal import NOTE_SUFFIX, journaled
from archive.nofollow import kind_of, utf8_name
from filing.records import Quarantined
from filing.registry import Registry
from language import _
from templates import render

REASON_CHARS = 2000  # a reason may quote a value; a 9 MB value is cut, not written out


def quarantine_note(
    file: str, reasons: list[str], fix: str, moved_at: datetime, settled: str | None = None
) -> str:
    """The note beside a quarantined file (templates/quarantine_note.txt): what was wrong
    and what to do, in the language in use; names and values in it are shown escaped
    (forms.shown). `settled`: where the note goes once settled (Quarantine/Settled/ as the
    folder names it)."""
    return render(
        "quarantine_note.txt",
        file=file,
        reasons=reasons,
        fix=fix,
        moved_at=moved_at,
        reason_chars=REASON_CHARS,
        settled=settled or settled_place(SharedFolder(Path())),
    )


def settled_place(folder: SharedFolder) -> str:
    """Where settled refusals go, as a person finds it from the top of the shared folder."""
    return f"{folder.quarantine.name}/{folder.names.settled}/"


#: Called inside a refusal's transaction with what was quarantined and the fix it was told.
Notify = Callable[[Quarantined, str], None]


def quarantine_place(folder: SharedFolder, name: str) -> Path:
    """A free place in Quarantine for a refused file named `name`: a name Windows takes,
    that fits 255 bytes with its note's suffix (the note is the name plus NOTE_SUFFIX)."""
    name = safe_name(utf8_name(name), 255)
    if name.casefold() == folder.names.settled.casefold():  # the folder of settled refusals
        name = f"{name} (refused)"
    return free_name(folder.quarantine / name, len(NOTE_SUFFIX), beside=NOTE_SUFFIX)


class Quarantine:
    """Moves a refused Inbox entry to Quarantine beside a note saying what to fix. A file is
    moved while it holds the bytes hashing to `sha256`; an entry not to be read (a link, a
    FIFO) is moved as the entry itself while it is still the (device, inode) `entry` seen."""

    def __init__(
        self,
        path: Path,
        shown: str,
        folder: SharedFolder,
        registry: Registry,
        now: datetime,
        *,
        sha256: str | None = None,
        entry: tuple[int, int] | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.path, self.shown, self.sha256, self.entry = path, shown, sha256, entry
        self.folder, self.registry, self.now = folder, registry, now
        self.notify = notify

    def __call__(
        self, reasons: list[str], fix: str, case_id: str | None = None, form: str | None = None
    ) -> None:
        target = quarantine_place(self.folder, self.path.name)
        note_path = target.with_name(target.name + NOTE_SUFFIX)
        settled = settled_place(self.folder)
        note = quarantine_note(self.shown, reasons, fix, self.now, settled).encode("utf-8")
        with journaled(self.registry, self.folder.root, self.now) as plan:
            plan.write(note_path, note)
            if self.sha256 is not None:
                plan.move(self.path, target, self.sha256)
            elif self.entry is not None:
                plan.move_entry(self.path, target, self.entry)
            # Recorded with the move: it waits for a person until a filing settles it.
            item = Quarantined(
                self.now,
                self.shown,
                target.relative_to(self.folder.root).as_posix(),
                note_path.relative_to(self.folder.root).as_posix(),
                tuple(reasons),
                case_id,
                form,
            )
            item = replace(item, quarantined_id=self.registry.add_quarantined(item))
            if self.notify is not None:  # its e-mail, queued in the same transaction
                self.notify(item, fix)


def quarantine_entry(
    path: Path,
    shown: str,
    info: os.stat_result,
    folder: SharedFolder,
    registry: Registry,
    now: datetime,
    reasons: list[str] | None = None,
    fix: str | None = None,
    notify: Notify | None = None,
) -> None:
    """Move an Inbox entry that is not to be read (a link, a FIFO, a device, a folder too
    deep, a file too large) to Quarantine as it is, beside its note. A link is moved as
    the link: what it names is never touched."""
    what = kind_of(info.st_mode)
    if reasons is None:
        reasons = [_("it is {what}.").format(what=what)]
        if stat.S_ISLNK(info.st_mode):
            reasons.append(_("closedloop never follows links: they could lead anywhere."))
        elif stat.S_ISDIR(info.st_mode):
            reasons = [
                _("it is a folder nested more than {depth} folders deep.").format(depth=MAX_DEPTH)
            ]
    if fix is None:
        fix = _(
            "Save the document itself (not a link or shortcut to it) into the {inbox}, or into "
            "{inbox}/<case number>/ for a photo or other file of a case."
        ).format(inbox=folder.inbox.name)
    entry = (info.st_dev, info.st_ino)
    Quarantine(path, shown, folder, registry, now, entry=entry, notify=notify)(reasons, fix)
