"""The journal that makes a filing all-or-nothing on disk as well as in the registry.

A filing writes nothing where people look until it is committed. Its files (the
original's copy, the next forms, a quarantine note) are first written into a staging
folder under `.closedloop/staging/`, and a *plan* (staged file -> final place, Inbox
file -> Quarantine, Inbox file to remove) is recorded in the registry inside the filing's
own transaction. The commit is the one instant the filing happens. After it, the plan is
carried out by renames, then dropped.

A `kill -9` at any instant therefore leaves one of two states, both recoverable:
before the commit, the registry has nothing and the staging folder is thrown away (the
Inbox file is still there, and is filed again from scratch); after it, the plan is in
the registry and `recover()` finishes it. Every step of a plan can be done twice: a
staged file already moved is not moved again, and an Inbox file is moved or removed
only while it still holds the bytes the plan was made for.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import functools
import hashlib
import io
import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from archive.casefolder import claiming, free_name
from archive.errors import ArchiveError
from archive.nofollow import (
    NotARegularFile,
    Place,
    folder_fd,
    move_ours,
    rename_entry,
    rename_regular,
    stream_regular,
    unlink_regular,
    write_at,
)
from filing.registry import Registry
from forms.flush import flush_together
from language import _

STAGING = Path(".closedloop") / "staging"
#: One move: into the folder (a handle reached without links), under the name.
Move = Callable[[Place, str], bool]
NOTE_SUFFIX = " - what to fix.txt"
# What a file system says of a place it will not take (a name too long, bytes it cannot
# hold, a character Windows refuses on an SMB share, a file where a folder should be): the
# file goes aside instead. A full disk or a permission is not here: those pass, and the
# plan waits for them.
_CANNOT_GO_THERE = {
    errno.ENAMETOOLONG,
    errno.EINVAL,
    errno.EILSEQ,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EISDIR,
}


class ChangedWhileRead(OSError):
    """A file changed between its reading and its copy: someone is still saving it."""


class JournalError(ArchiveError):
    """A committed plan names a path outside the shared folder: the registry was edited."""


@dataclass
class Plan:
    """File moves one filing makes once committed. Paths are relative to the shared
    folder, so that a plan still holds if the folder is mounted elsewhere."""

    root: Path
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    # [source, target, sha256 or None]: a staged file is always moved; an Inbox file only
    # while it still holds the bytes hashing to sha256.
    moves: list[tuple[str, str, str | None]] = field(default_factory=list)
    removals: list[tuple[str, str]] = field(default_factory=list)  # [path, sha256]
    # [source, target, device, inode]: an Inbox entry that is not a regular file (a link,
    # a FIFO), moved to Quarantine as the entry itself.
    entries: list[tuple[str, str, int, int]] = field(default_factory=list)
    fallback: str = "Quarantine"  # where a file goes whose place is a link out of root

    @property
    def staging(self) -> Path:
        return self.root / STAGING / self.id

    def write(self, target: Path, data: bytes) -> None:
        """`data` will be at `target` once the plan is carried out."""
        # No temp file and rename here: nobody reads the staging folder, and a staged file
        # counts only once the plan is committed, after seal() made it durable.
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / str(len(self.moves))
        with staged.open("wb") as fh:  # made durable with the others: seal()
            fh.write(data)
        self.moves.append((self._relative(staged), self._relative(target), None))

    def copy(self, target: Path, source: Path, sha256: str) -> None:
        """A copy of the Inbox file `source` will be at `target`: streamed (evidence may be
        a video) without following a link, and only if it still holds bytes hashing to
        sha256 (else OSError: the filing is rolled back and the file tried again)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / str(len(self.moves))
        digest = hashlib.sha256()
        with staged.open("wb") as fh:
            for chunk in stream_regular(self.root, source.relative_to(self.root)):
                digest.update(chunk)
                fh.write(chunk)
        if digest.hexdigest() != sha256:
            raise ChangedWhileRead(_("{name} changed while it was copied").format(name=source.name))
        self.moves.append((self._relative(staged), self._relative(target), None))

    def sealing(self) -> list[Path]:
        """What must be durable before the plan is committed: its staged files, and their
        names in the staging folder (the batch flushes every plan's at once: seal())."""
        staged = [self.root / source for source, _target, sha256 in self.moves if sha256 is None]
        return [*staged, self.staging] if staged else []

    def move(self, source: Path, target: Path, sha256: str) -> None:
        """Move `source` (which holds bytes hashing to sha256) to `target`."""
        self.moves.append((self._relative(source), self._relative(target), sha256))

    def move_entry(self, source: Path, target: Path, identity: tuple[int, int]) -> None:
        """Move the entry `source` itself (a link, a FIFO, a device), never what it names,
        while it is still the entry (device, inode) seen."""
        self.entries.append((self._relative(source), self._relative(target), *identity))

    def remove(self, path: Path, sha256: str) -> None:
        self.removals.append((self._relative(path), sha256))

    def discard(self) -> None:
        """Throw the staged files away: the filing was not committed."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def to_json(self) -> str:
        # ASCII escapes: a name that is not UTF-8 (a surrogate escape) survives the trip
        # through the registry's text column and back to the same bytes.
        return json.dumps(
            {
                "id": self.id,
                "moves": self.moves,
                "removals": self.removals,
                "entries": self.entries,
                "fallback": self.fallback,
            }
        )

    @classmethod
    def from_json(cls, root: Path, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            root,
            data["id"],
            [(s, t, h) for s, t, h in data["moves"]],
            [(p, h) for p, h in data["removals"]],
            [(s, t, d, i) for s, t, d, i in data.get("entries", [])],
            data.get("fallback", "Quarantine"),
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _checked(self, relative: str) -> Path:
        """root/relative, refused if the registry's plan itself leads outside the shared
        folder (`..`, an absolute path): only a hand-edited registry holds such a plan."""
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise JournalError(
                _(
                    "{path}: a pending move in the registry points outside {root}; the "
                    "registry was changed by hand, rebuild it with `closedloop rebuild`"
                ).format(path=relative, root=self.root)
            )
        return self.root / relative

    def _aside(self, name: str, note: str, move: Move) -> Path | None:
        """Put the file in the fallback folder (Quarantine) under a free form of `name`,
        beside a note saying why. When the fallback folder is itself a link, nothing goes
        there: the plan waits (OSError), reported."""
        try:
            with folder_fd(self.root, Path(self.fallback), make=True) as place:
                put = free_name(self.root / self.fallback / name, len(NOTE_SUFFIX), NOTE_SUFFIX)
                write_at(place, put.name + NOTE_SUFFIX, io.BytesIO(note.encode("utf-8")))
                return put if move(place, put.name) else None
        except NotARegularFile:
            fallback = self.root / self.fallback
            raise OSError(errno.ELOOP, "the fallback folder is a link", str(fallback)) from None

    def _place(self, target_name: str, move: Move) -> Path | None:
        """Carry out one move with `move(folder, name)`, into the target's folder reached
        (and made where missing) without following a link: one put on the way, before or
        while the move is made, is never gone through, and the file goes to the fallback
        folder beside a note instead. A target the file system refuses by its name goes
        aside too (never a jam: every later run would fail on it too)."""
        target = self._checked(target_name)
        relative = target.relative_to(self.root)
        try:
            with folder_fd(self.root, relative.parent, make=True) as place:
                return target if move(place, relative.name) else None
        except NotARegularFile:
            note = _(
                "closedloop could not put this file where it belongs:\n  {path}\n"
                "because a folder on that path is a link (a shortcut) to somewhere else, "
                "made by someone in {root}.\n"
                "closedloop never writes through links. Replace the link with a real folder "
                "and move this file there.\n"
            ).format(path=target_name, root=self.root)
            return self._aside(target.name, note, move)
        except OSError as exc:
            if exc.errno not in _CANNOT_GO_THERE:
                raise  # a full disk, a permission: the plan stays, tried again later
            note = _(
                "closedloop could not put this file where it belongs:\n  {path}\n"
                "because the file system refused it ({why}).\n"
                "Move it there by hand under a shorter name, or ask the administrator.\n"
            ).format(path=target_name, why=exc.strerror or exc)
            return self._aside(f"closedloop {self.id}{Path(target_name).suffix[:16]}", note, move)

    def targets(self) -> list[Path]:
        """Where the plan moves files to."""
        named = [t for _s, t, _h in self.moves] + [t for _s, t, _d, _i in self.entries]
        return [self.root / t for t in named]

    def carry_out(self, flush: bool = True) -> set[Path]:
        """Make the moves and removals. Safe to repeat, and to resume after a crash.
        Inbox files (moves with a hash, removals, entries) are reached without following
        links (archive/nofollow.py): one swapped for a link is not ours and stays. The
        folders it changed are made durable, and the staging thrown away, unless `flush`
        is False (a batch does both once for all its plans); returns those folders."""
        folders: set[Path] = set()
        for source_name, target_name, sha256 in self.moves:
            source = self._checked(source_name)
            if sha256 is None:  # a staged file: ours, under .closedloop/staging
                if not source.is_file() or source.is_symlink():
                    continue  # moved by an earlier, interrupted run
                put = self._place(target_name, functools.partial(move_ours, source))
            else:
                relative = Path(source_name)
                put = self._place(
                    target_name,
                    functools.partial(rename_regular, self.root, relative, sha256=sha256),
                )
                if put is not None:
                    folders.add(source.parent)
            if put is not None:
                folders.add(put.parent)
        for source_name, target_name, device, inode in self.entries:
            source = self._checked(source_name)
            relative = Path(source_name)
            put = self._place(
                target_name,
                functools.partial(rename_entry, self.root, relative, identity=(device, inode)),
            )
            if put is not None:
                folders.update((source.parent, put.parent))
        for path_name, sha256 in self.removals:
            path = self._checked(path_name)
            if unlink_regular(self.root, Path(path_name), sha256):
                folders.add(path.parent)
        if flush:
            flush_together(folders)  # an emptied evidence folder is gone: skipped
            self.discard()
        return folders


class Batch:
    """Several filings in one registry transaction: each under a savepoint of its own (one
    that fails is undone alone), their staged files made durable together before the one
    commit, their plans carried out after it and the folders they changed made durable
    together. A filing costs its share of a few flushes instead of a dozen of its own."""

    def __init__(self) -> None:
        self.plans: list[tuple[Plan, int]] = []
        self.committed = False  # an error after this is in carrying out (the plans wait)

    def seal(self) -> None:
        flush_together(p for plan, _id in self.plans for p in plan.sealing())

    def discard(self) -> None:
        for plan, _id in self.plans:
            plan.discard()

    def finish(self, registry: Registry) -> None:
        folders: set[Path] = set()
        # A file sent aside (a link on its way) takes no name a later plan moves a file to.
        with claiming(t for plan, _id in self.plans for t in plan.targets()):
            for plan, _id in self.plans:
                folders |= plan.carry_out(flush=False)
        flush_together(folders)
        for plan, pending_id in self.plans:
            plan.discard()
            registry.drop_pending(pending_id)


_BATCH: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("batch", default=None)


@contextlib.contextmanager
def batch(registry: Registry, root: Path, now: datetime) -> Iterator[Batch]:
    """Every `journaled` change inside the block goes into one transaction, committed at
    its end and then carried out (see Batch). An error that leaves the block throws every
    change of the batch away; one a filing catches undoes that filing alone."""
    if registry.db.in_transaction or _BATCH.get() is not None:
        raise RuntimeError("a batch inside a transaction would carry out plans not committed")
    current = Batch()
    token = _BATCH.set(current)
    try:
        with claiming(), registry.transaction():
            yield current
            current.seal()
    except BaseException:
        current.discard()
        raise
    finally:
        _BATCH.reset(token)
    current.committed = True
    current.finish(registry)


@contextlib.contextmanager
def journaled(registry: Registry, root: Path, now: datetime) -> Iterator[Plan]:
    """One change to the registry and the folders, all or nothing. Inside the block, stage
    files in the plan and change the registry; the plan is committed with the change and
    carried out after: at the end of the batch it is part of, or of its own batch."""
    current = _BATCH.get()
    if current is None:
        with batch(registry, root, now), journaled(registry, root, now) as plan:
            yield plan
        return
    plan = Plan(root)
    try:
        with registry.transaction():  # the batch's, or a savepoint in it
            yield plan
            pending_id = registry.add_pending(plan.to_json(), now)
    except BaseException:
        plan.discard()
        raise
    current.plans.append((plan, pending_id))


def finish(registry: Registry, pending_id: int, plan: Plan) -> None:
    """Carry out a committed plan and drop it from the journal."""
    plan.carry_out()
    registry.drop_pending(pending_id)


def recover(root: Path, registry: Registry, jammed: list[str] | None = None) -> int:
    """Finish every plan a stopped run committed, and throw away what it staged without
    committing. Run before anything else touches the folder; returns the plans finished.
    A plan that cannot be finished now (a full disk, a permission) stays for the next
    run, its reason added to `jammed`: it never stops the others, nor the next filing."""
    pending = registry.pending()
    plans = [(pending_id, Plan.from_json(root, text)) for pending_id, text in pending]
    done = 0
    with claiming(t for _id, plan in plans for t in plan.targets()):
        for pending_id, plan in plans:
            try:
                finish(registry, pending_id, plan)
                done += 1
            except OSError as exc:
                if jammed is None:
                    raise
                jammed.append(f"plan {plan.id}: {exc}")
    if len(pending) > done:
        return done  # its staging is still needed
    staging = root / STAGING
    if staging.is_dir():
        for leftover in staging.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink()
    return done
