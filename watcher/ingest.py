"""One pass over the Inbox: each file ends filed in its case, or in Quarantine beside a
note saying what to fix; office lock and temporary files are left alone.

Order of steps, so that a crash loses nothing: the original is copied into the case
folder and the next forms written (atomically) inside the filing's registry transaction;
only after it commits is the Inbox file removed. A crash before the commit leaves the
file in the Inbox to be filed again (same case number, same file names); a crash after
it leaves a copy with the same name and bytes as the filing records, which the next pass
recognises and removes. The same bytes under another name are a duplicate, refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.casefolder import case_folder, file_original, safe_name
from filing.engine import Engine, FilingRefused, Outcome
from filing.policy import Policy
from filing.registry import Registry
from forms.atomicfile import atomic_write_bytes
from forms.definition import get_form
from forms.errors import RefusedFile
from forms.reader import read_form
from forms.writer import render_form
from watcher.folders import SharedFolder, is_junk
from watcher.notes import quarantine_note


@dataclass
class FileResult:
    file: str
    outcome: str  # filed | refused | ignored
    case_id: str | None = None
    form: str | None = None
    issued: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "outcome": self.outcome,
            "case_id": self.case_id,
            "form": self.form,
            "issued": self.issued,
            "reason": self.reason,
        }


class _AlreadyFiled(Exception):
    def __init__(self, case_id: str, form: str, where: str) -> None:
        self.case_id = case_id
        self.form = form
        self.where = where
        super().__init__(where)


class _Refusal(Exception):
    def __init__(
        self, reasons: list[str], fix: str, case_id: str | None = None, form: str | None = None
    ):
        self.reasons = reasons
        self.fix = fix
        self.case_id = case_id
        self.form = form
        super().__init__(" ".join(reasons))


def inbox_files(folder: SharedFolder) -> Iterator[Path]:
    """Files directly in the Inbox, oldest first (the order people saved them)."""
    if not folder.inbox.is_dir():
        return
    entries = [p for p in folder.inbox.iterdir() if p.is_file()]
    entries.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    yield from entries


class Intake:
    """Files one Inbox file at a time: the one-shot pass and the service share it.
    Holds the registry connection; use it from one thread."""

    def __init__(self, root: Path, policy: Policy, company: str) -> None:
        self.folder = SharedFolder(root)
        self.registry = Registry(self.folder.registry)
        self.engine = Engine(self.registry, policy)
        self.company = company

    def close(self) -> None:
        self.registry.close()

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, path: Path, now: datetime) -> FileResult:
        """File, refuse or leave one file; a failure leaves it in the Inbox, reported."""
        try:
            return _ingest(path, self.folder, self.registry, self.engine, self.company, now)
        except Exception as exc:  # one file must not stop the others; it stays put
            return FileResult(
                path.name,
                "ignored",
                reason=f"closedloop failed on this file ({type(exc).__name__}: {exc}); "
                "it stays in the Inbox and will be tried again",
            )


def ingest_once(root: Path, policy: Policy, company: str, now: datetime) -> list[FileResult]:
    with Intake(root, policy, company) as intake:
        return [intake.process(path, now) for path in inbox_files(intake.folder)]


def _ingest(
    path: Path,
    folder: SharedFolder,
    registry: Registry,
    engine: Engine,
    company: str,
    now: datetime,
) -> FileResult:
    name = path.name
    if is_junk(name):
        return FileResult(name, "ignored", reason="an office lock or temporary file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(
            name, "ignored", reason=f"cannot be read now ({exc.strerror}); it stays in the Inbox"
        )
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        outcome = _file(path, data, sha256, folder, registry, engine, company, now)
    except _Refusal as refusal:
        _quarantine(path, folder, refusal.reasons, refusal.fix, now)
        return FileResult(
            name, "refused", refusal.case_id, refusal.form, reason=" ".join(refusal.reasons)
        )
    except _AlreadyFiled as done:
        path.unlink()
        return FileResult(
            name,
            "filed",
            done.case_id,
            done.form,
            reason=f"already filed as {done.where}; the Inbox copy an interrupted run left was removed",
        )
    except RefusedFile as exc:
        if exc.kind == "lock_file":
            return FileResult(name, "ignored", reason=exc.reason)
        _quarantine(path, folder, [exc.reason], exc.fix, now)
        return FileResult(name, "refused", reason=f"{exc.kind}: {exc.reason}")
    issued = [{"form": i.form, "department": i.department, "file": i.file} for i in outcome.issued]
    note = outcome.note
    try:
        path.unlink()
    except OSError as exc:  # filed all the same; the copy left behind is recognised next time
        note += f"; the Inbox copy could not be removed ({exc.strerror})"
    return FileResult(name, "filed", outcome.case_id, outcome.form, issued, note)


def _file(
    path: Path,
    data: bytes,
    sha256: str,
    folder: SharedFolder,
    registry: Registry,
    engine: Engine,
    company: str,
    now: datetime,
) -> Outcome:
    first = registry.filing_by_sha256(sha256)
    if first is not None:
        case = registry.case(first.case_id)
        where = case_folder(folder.archive, first.case_id, case.customer if case else None)
        archived = where / first.file
        if first.source == path.name and archived.is_file() and archived.read_bytes() == data:
            # The same file, under the same name, already filed: a run that stopped between
            # committing the filing and removing the Inbox copy. Finish it.
            raise _AlreadyFiled(first.case_id, first.form, str(archived.relative_to(folder.root)))
        raise _Refusal(
            [
                f"the same file was already filed on {first.filed_at:%Y-%m-%d %H:%M} in case "
                f"{first.case_id}, as {where.relative_to(folder.root) / first.file}."
            ],
            "Nothing to do if this is a second copy. If you meant to change the form, make the "
            "change, save it, and put it into the Inbox again.",
            first.case_id,
            first.form,
        )
    read = read_form(path, data)
    if read.problems:
        raise _Refusal(
            [p.message for p in read.problems],
            "Correct the form, save it, and put it into the Inbox again.",
            read.case_id,
            read.form.id,
        )

    def write_files(outcome: Outcome) -> None:
        case_dir = case_folder(folder.archive, outcome.case_id, outcome.customer)
        file_original(path, case_dir, outcome.stored_as)
        for item in outcome.issued:
            form = get_form(item.form)
            fmt = item.file.rsplit(".", 1)[-1]
            target = folder.root / Path(*[safe_name(p) for p in Path(item.file).parts])
            atomic_write_bytes(
                target,
                render_form(form, fmt, item.values, item.case_id, company),  # type: ignore[arg-type]
            )

    try:
        return engine.file(read, sha256, now, before_commit=write_files)
    except FilingRefused as exc:
        raise _Refusal([exc.reason], exc.fix, exc.case_id, read.form.id) from None


def _quarantine(
    path: Path, folder: SharedFolder, reasons: list[str], fix: str, now: datetime
) -> None:
    folder.quarantine.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder.quarantine / path.name)
    note = target.with_name(f"{target.name} - what to fix.txt")
    atomic_write_bytes(note, quarantine_note(path.name, reasons, fix, now).encode("utf-8"))
    path.replace(target)


def _free_name(target: Path) -> Path:
    n = 2
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem} ({n}){target.suffix}")
        n += 1
    return candidate
