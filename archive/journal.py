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
import errno
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from archive.errors import ArchiveError
from archive.hashing import file_sha256
from filing.registry import Registry
from forms.atomicfile import atomic_writer, fsync_dir

STAGING = Path(".closedloop") / "staging"


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

    @property
    def staging(self) -> Path:
        return self.root / STAGING / self.id

    def write(self, target: Path, data: bytes) -> None:
        """`data` will be at `target` once the plan is carried out."""
        # No temp file and rename here: nobody reads the staging folder, and a staged file
        # counts only once the plan is committed, after seal() made it durable.
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / str(len(self.moves))
        with staged.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        self.moves.append((self._relative(staged), self._relative(target), None))

    def seal(self) -> None:
        """Make the staged files' names durable, before the plan is committed."""
        if self.staging.is_dir():
            fsync_dir(self.staging)

    def move(self, source: Path, target: Path, sha256: str) -> None:
        """Move `source` (which holds bytes hashing to sha256) to `target`."""
        self.moves.append((self._relative(source), self._relative(target), sha256))

    def remove(self, path: Path, sha256: str) -> None:
        self.removals.append((self._relative(path), sha256))

    def discard(self) -> None:
        """Throw the staged files away: the filing was not committed."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def to_json(self) -> str:
        return json.dumps(
            {"id": self.id, "moves": self.moves, "removals": self.removals}, ensure_ascii=False
        )

    @classmethod
    def from_json(cls, root: Path, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            root,
            data["id"],
            [(s, t, h) for s, t, h in data["moves"]],
            [(p, h) for p, h in data["removals"]],
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _inside(self, relative: str, real: dict[Path, Path]) -> Path:
        """root/relative, refused if it leads outside the shared folder by `..`, an
        absolute path or a linked folder. Folders are resolved once a plan (`real`): a
        filing names the same four or five folders a dozen times."""
        path = self.root / relative
        root = real.get(self.root) or real.setdefault(self.root, self.root.resolve())
        folder = real.get(path.parent) or real.setdefault(path.parent, path.parent.resolve())
        if ".." in Path(relative).parts or not folder.is_relative_to(root):
            raise JournalError(
                f"{relative}: a pending move in the registry points outside {self.root}; "
                "the registry was changed by hand, rebuild it with `closedloop rebuild`"
            )
        return path

    def carry_out(self) -> None:
        """Make the moves and removals. Safe to repeat, and to resume after a crash."""
        folders: set[Path] = set()
        real: dict[Path, Path] = {}
        for source_name, target_name, sha256 in self.moves:
            source, target = self._inside(source_name, real), self._inside(target_name, real)
            if not source.is_file():
                continue  # moved by an earlier, interrupted run (or taken away by a person)
            if sha256 is not None and _sha256(source) != sha256:
                continue  # someone saved a new file under the name: it is not ours to move
            target.parent.mkdir(parents=True, exist_ok=True)
            _rename(source, target)
            folders.add(target.parent)
            if sha256 is not None:  # an Inbox file moved away (the staging folder goes)
                folders.add(source.parent)
        for path_name, sha256 in self.removals:
            path = self._inside(path_name, real)
            if path.is_file() and _sha256(path) == sha256:
                path.unlink()
                folders.add(path.parent)
        for folder in folders:
            fsync_dir(folder)
        self.discard()


@contextlib.contextmanager
def journaled(registry: Registry, root: Path, now: datetime) -> Iterator[Plan]:
    """One change to the registry and the folders, all or nothing. Inside the block, stage
    files in the plan and change the registry (one transaction); leaving it commits the
    plan with the transaction and carries it out. An error throws both away."""
    plan = Plan(root)
    try:
        with registry.transaction():
            yield plan
            pending_id = commit_plan(registry, plan, now)
    except BaseException:
        plan.discard()
        raise
    finish(registry, pending_id, plan)


def commit_plan(registry: Registry, plan: Plan, now: datetime) -> int:
    """Record `plan` in the transaction in progress; returns its pending id."""
    plan.seal()
    return registry.add_pending(plan.to_json(), now)


def finish(registry: Registry, pending_id: int, plan: Plan) -> None:
    """Carry out a committed plan and drop it from the journal."""
    plan.carry_out()
    registry.drop_pending(pending_id)


def recover(root: Path, registry: Registry) -> int:
    """Finish every plan a stopped run committed, and throw away what it staged without
    committing. Run before anything else touches the folder; returns the plans finished."""
    pending = registry.pending()
    for pending_id, text in pending:
        finish(registry, pending_id, Plan.from_json(root, text))
    staging = root / STAGING
    if staging.is_dir():
        for leftover in staging.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink()
    return len(pending)


def _rename(source: Path, target: Path) -> None:
    try:
        source.replace(target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # The Archive or an Outbox on another file system: copy atomically, then remove.
        with source.open("rb") as src, atomic_writer(target) as dst:
            shutil.copyfileobj(src, dst)
        source.unlink()


def _sha256(path: Path) -> str | None:
    try:
        return file_sha256(path)[0]
    except OSError:  # gone or unreadable: not the bytes the plan was made for
        return None
