"""One Inbox entry, whatever it is: an office lock file is left alone; a link, a FIFO or a
device goes to Quarantine as it is; a file in a folder below the Inbox is evidence; a
file at the top is a form, refused by its size alone when it is too large to be one.

Crash safety comes from the journal (archive/journal.py): every file a filing or a
refusal puts in place is staged, and the plan to put it in place is committed with the
registry transaction; the plan is carried out after the commit, and finished by the next
run if this one is killed. So after a `kill -9` anywhere, each Inbox file is still in the
Inbox (nothing recorded, nothing visible) or completely filed, its next forms issued once.
"""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

from app.folder import is_junk
from app.intake.desk import Desk
from app.intake.evidence import take_evidence
from app.intake.form import file_form
from app.intake.quarantine import Quarantine, quarantine_entry
from app.intake.refusals import Refusal, became, not_now, sentences
from app.results import FileResult, Outcome
from archive.nofollow import NotARegularFile, TooLarge, kind_of, lstat_at, read_regular
from forms.container import MAX_FILE_BYTES
from forms.errors import RefusedFile
from forms.shown import shown
from language import _


def take(desk: Desk, path: Path, now: datetime) -> FileResult:
    """File, refuse or leave the Inbox entry `path`."""
    folder = desk.folder
    relative = path.relative_to(folder.root)
    inside = path.relative_to(folder.inbox)
    name = shown(inside.as_posix())
    if is_junk(path.name):
        return FileResult(name, Outcome.IGNORED, reason=_("an office lock or temporary file"))
    try:
        info = lstat_at(folder.root, relative)
    except NotARegularFile as exc:  # a folder above it became a link since the listing
        return FileResult(
            name,
            Outcome.IGNORED,
            reason=_("{what} is on its path; not followed").format(what=exc.what),
        )
    except OSError as exc:
        return not_now(name, exc)
    if not stat.S_ISREG(info.st_mode):
        # Never opened, read through or removed through: the entry itself goes aside.
        quarantine_entry(path, name, info, folder, desk.registry, now, notify=desk.on_quarantined)
        what = kind_of(info.st_mode)
        return FileResult(name, Outcome.REFUSED, reason=_("it is {what}").format(what=what))
    if len(inside.parts) > 1:
        return take_evidence(desk, path, name, now)
    try:
        read = read_regular(folder.root, relative, MAX_FILE_BYTES)
    except TooLarge as exc:
        # Refused by its size alone, so its bytes are not read: the file itself goes aside.
        size = exc.size // 2**20
        quarantine_entry(
            path,
            name,
            info,
            folder,
            desk.registry,
            now,
            [_("it is {size} MB, too large for a form.").format(size=size)],
            _(
                "Save the form again from its Word or Excel file; "
                "photos and other files for a case go into {inbox}/<case number>/."
            ).format(inbox=folder.inbox.name),
            notify=desk.on_quarantined,
        )
        return FileResult(
            name, Outcome.REFUSED, reason=_("unsafe: it is {size} MB").format(size=size)
        )
    except NotARegularFile as exc:  # swapped for a link since it was looked at
        return became(name, exc)
    except OSError as exc:
        return not_now(name, exc)
    quarantine = Quarantine(
        path, name, folder, desk.registry, now, sha256=read.sha256, notify=desk.on_quarantined
    )
    try:
        return file_form(desk, path, name, read.data, read.sha256, now)
    except Refusal as refusal:
        quarantine(refusal.reasons, refusal.fix, *refusal.settled_by())
        return FileResult(
            name,
            Outcome.REFUSED,
            refusal.case_id,
            refusal.form,
            reason=sentences(refusal.reasons),
        )
    except RefusedFile as exc:
        if exc.kind == "lock_file":
            return FileResult(name, Outcome.IGNORED, reason=exc.reason)
        quarantine([exc.reason], exc.fix)
        return FileResult(name, Outcome.REFUSED, reason=exc.reason, refusal=exc.kind)
