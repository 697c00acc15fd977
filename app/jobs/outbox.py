"""An outbox holds what its department still owes. When an issued form comes back filed,
or its case no longer waits for it (closed, superseded), its copy leaves the top of
`Outbox/<department>/` for `Outbox/<department>/Done/` (kept, never deleted: someone may
have it open; a copy that cannot be moved now is moved at the next look). Each outbox
has a `To do.html` listing what waits, overdue first, written at every look: the end of
each `ingest`, and in `watch` once a burst of filings is over and at each rescan."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from archive.casefolder import free_name
from archive.nofollow import folder_fd, move_regular, read_regular, write_at
from filing.owed import Owed, owed_now, owed_of
from filing.words import category_label, form_title
from forms.atomicfile import atomic_write_bytes, leftover_of, read_json, remove_leftovers
from language import current
from templates import render

if TYPE_CHECKING:
    from app.application import App

#: Every outbox: a start and each look go through them all; a filing only its cases' ones.
EVERY = "*"


@dataclass(frozen=True)
class Tidy:
    """Tidy the outboxes: of every department (EVERY), or of the cases a filing changed."""

    cases: tuple[str, ...]


class OutboxJob(Job[Tidy, list[str]]):
    def todo(self, app: App, trigger: Trigger) -> Sequence[Tidy]:
        if trigger.when in (When.START, When.LOOK):
            return [Tidy((EVERY,))]
        return [Tidy(trigger.cases)] if trigger.cases else []

    def do(self, app: App, work: Tidy, now: datetime) -> list[str]:
        """Move what is no longer owed to Done/; the copies moved, by their place in the
        shared folder. A look goes through every outbox and writes the To do pages; a
        filing only through its cases' copies, so a backlog costs no more per file."""
        policy, registry = app.settings.policy, app.registry
        if work.cases == (EVERY,):
            looked = _Look.taken(app, now)
            if looked.same_as_last(app):
                return []  # nothing filed, nothing fell due, every page there: as written
            owed = owed_now(registry, policy, app.calendar)
            candidates = _outbox_files(app)
        else:
            cases = [c for c in map(registry.case, work.cases) if c is not None]
            owed = owed_of(registry, policy, app.calendar, cases)
            candidates = [i.file for case in cases for i in registry.issued(case.case_id)]
        keep = {o.issued.file for o in owed}
        moved = [
            file
            for file in dict.fromkeys(candidates)
            if file not in keep and _to_done(app.folder.root, file, app.folder.names.done)
        ]
        if work.cases == (EVERY,):
            _write_pages(app, owed, now)
            stuck = any(f not in keep and f not in moved for f in dict.fromkeys(candidates))
            if not stuck:  # a copy that could not go to Done/ is tried at the next look
                looked.remember(app, owed)
        return moved

    def done(self, app: App, work: Tidy, made: list[str] | Exception, now: datetime) -> Done:
        if isinstance(made, OSError):
            return Done()  # an outbox that cannot be tidied now is tidied at the next look
        if isinstance(made, Exception):
            raise made
        return Done()


@dataclass(frozen=True)
class _Look:
    """What a look at every outbox depends on: the registry's chain (every filing adds to
    it), the settings the pages show, and the moment: its pages change by themselves only
    when something owed falls due. Remembered in .closedloop, so that a look (every
    `ingest`, every rescan of `watch`) that would write the same pages costs one query,
    not a pass over every open case."""

    seq: int
    key: str
    at: datetime

    @classmethod
    def taken(cls, app: App, now: datetime) -> _Look:
        remove_leftovers(app.folder.state, {_LOOKED})  # a write a stop cut short
        s = app.settings
        key = repr((current(), s.company_name, sorted(s.policy.outboxes.items()), s.policy.folders))
        return cls(app.registry.chain_head()[0], key, now)

    def same_as_last(self, app: App) -> bool:
        try:
            last = read_json(app.folder.state / _LOOKED)
            until = datetime.fromisoformat(last["until"])
            since = datetime.fromisoformat(last["at"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        pages = [
            app.folder.outbox / name / app.folder.todo_page
            for name in set(app.settings.policy.outboxes.values())
        ]
        return (
            last.get("seq") == self.seq
            and last.get("key") == self.key
            and since <= self.at < until  # a clock set back (--now) looks again
            and all(p.is_file() for p in pages)
        )

    def remember(self, app: App, owed: list[Owed]) -> None:
        coming = [o.due.due for o in owed if o.due is not None and o.due.due >= self.at]
        until = min(coming, default=datetime.max)
        record = {
            "seq": self.seq,
            "key": self.key,
            "at": self.at.isoformat(),
            "until": until.isoformat(),
        }
        atomic_write_bytes(app.folder.state / _LOOKED, json.dumps(record).encode(), False)


#: In .closedloop: what the last look at every outbox depended on (_Look).
_LOOKED = "outbox-look.json"


def _top_entries(app: App) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Each entry at the top of each department's outbox, with the outbox's folder name."""
    for folder in sorted(set(app.settings.policy.outboxes.values())):
        try:
            entries = list(os.scandir(app.folder.outbox / folder))
        except OSError:
            continue
        for entry in entries:
            yield folder, entry


def _outbox_files(app: App) -> list[str]:
    """Every file at the top of every department's outbox that closedloop issued; the
    temp files of To do pages whose write a stop cut short are removed on the way."""
    out = []
    for folder, entry in _top_entries(app):
        if not entry.is_file(follow_symlinks=False):
            continue
        if leftover_of(entry.name) == app.folder.todo_page:
            with contextlib.suppress(OSError):
                Path(entry.path).unlink()
            continue
        file = f"{app.folder.names.outbox}/{folder}/{entry.name}"
        if app.registry.issued_as(file):
            out.append(file)
    return out


def _holds(root: Path, target: Path, page: bytes) -> bool:
    """Whether `target` already holds `page`: read without following a link and never past
    the page's own size, whatever someone put in its place."""
    try:
        return read_regular(root, target.relative_to(root), len(page)).data == page
    except OSError:  # missing, too large, a link or a FIFO: written anew
        return False


def _to_done(root: Path, file: str, done_name: str) -> bool:
    """Move the issued copy `file` (relative to the shared folder) into Done/ beside it;
    whether it moved. Only a regular file is moved; a copy held open (Windows) stays for
    the next look."""
    source = root / file
    relative = Path(file)
    try:
        # Both folders reached through handles that follow no link (Done/ made where
        # missing): one swapped for a link meanwhile is never gone through.
        with (
            folder_fd(root, relative.parent) as outbox,
            folder_fd(root, relative.parent / done_name, make=True) as done,
        ):
            moved = free_name(source.parent / done_name / source.name)
            return move_regular(outbox, source.name, done, moved.name)
    except OSError:  # a link or a file where Done/ should be, a copy held open: next look
        return False


def _write_pages(app: App, owed: list[Owed], now: datetime) -> None:
    """Each department's To do page, in the folder's language, written only when what it
    says changed."""
    policy = app.settings.policy
    by_folder: dict[str, list[Owed]] = {name: [] for name in set(policy.outboxes.values())}
    for o in owed:
        by_folder.setdefault(policy.outboxes.get(o.issued.department, o.issued.department), [])
        by_folder[policy.outboxes.get(o.issued.department, o.issued.department)].append(o)
    for folder, items in sorted(by_folder.items()):
        place = app.folder.outbox / folder
        if not place.is_dir() or place.is_symlink():
            continue
        items.sort(
            key=lambda o: (not o.overdue(now), o.due.due if o.due else datetime.max, o.case.case_id)
        )
        rows = [
            {
                "case_id": o.case.case_id,
                "customer": o.case.customer or "",
                "product": o.case.product or "",
                "category": category_label(o.case.category),
                "form": form_title(o.issued.form),
                "href": Path(o.issued.file).name,
                "issued": o.issued.issued_at,
                "due": o.due.due if o.due else None,
                "deadline": o.due.name if o.due else "",
                "overdue": o.overdue(now),
            }
            for o in items
        ]
        page = render(
            "outbox_todo.html",
            lang=current(),
            # Between sentences: a line break (a space on the page), none after a Chinese 。
            gap="" if current().startswith("zh") else "\n",
            department=folder,
            company=app.settings.company_name,
            inbox=app.folder.inbox.name,
            done=app.folder.names.done,
            rows=rows,
            overdue=sum(1 for r in rows if r["overdue"]),
        ).encode("utf-8")
        target = place / app.folder.todo_page
        try:
            if _holds(app.folder.root, target, page):
                continue
            # Into the outbox through a handle that follows no link: an outbox swapped for
            # a link while the page is made is never written through. Derived: no flush.
            with folder_fd(app.folder.root, place.relative_to(app.folder.root)) as outbox:
                write_at(outbox, app.folder.todo_page, io.BytesIO(page), durable=False)
        except OSError:
            continue  # written at the next look (a link is never written through)
