"""One pass over the Inbox: each file ends filed in its case, or in Quarantine beside a
note saying what to fix; office lock and temporary files are left alone.

Crash safety comes from the journal (archive/journal.py): every file a filing or a
refusal puts in place (the original's copy, the next forms, evidence, the quarantined
file and its note) is staged, and the plan to put it in place is committed with the
registry transaction; the plan is carried out after the commit, and finished by the next
run if this one is killed. So after a `kill -9` anywhere, each Inbox file is still in
the Inbox (nothing recorded, nothing visible) or completely filed, its next forms issued
once. The same bytes under another name are a duplicate, refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.faults import registry_failure
from app.folder import SharedFolder, is_junk
from app.instance import InstanceLock
from app.notes import quarantine_note, shown
from app.opening import open_registry, refuse_links
from archive.auditor import AuditorPages
from archive.casefile import stage_case_files
from archive.casefolder import case_folder, evidence_path, free_name, original_path, safe_name
from archive.errors import ArchiveError
from archive.journal import JournalError, Plan, journaled, recover
from archive.nofollow import (
    NotARegularFile,
    TooLarge,
    hash_regular,
    kind_of,
    lstat_at,
    read_regular,
    unlink_regular,
    utf8_name,
)
from archive.packet import Renderer, build_packet, file_packet
from archive.quarter import close_quarter, unsealed_quarters
from filing.engine import Engine, FilingRefused, IssuedForm, Outcome
from filing.policy import Policy
from filing.registry import DiskFull, Event, Evidence, Registry
from forms.container import MAX_FILE_BYTES
from forms.definition import get_form
from forms.errors import RefusedFile
from forms.identity import CASE_ID
from forms.isolated import IsolatedReader
from forms.reader import FormRead, read_form
from forms.writer import render_form
from mail.notify import MailSettings, queue_digest, queue_issued, send_due
from reports.figures import Span
from reports.report import weekly_name, weekly_report, write_report

#: Called inside a filing's transaction for each form it issues, with the issued copy's
#: place in the case folder.
OnIssued = Callable[[IssuedForm, str], None]


@dataclass
class FileResult:
    file: str
    outcome: str  # filed | refused | ignored | sealed (a quarter) | reported | mailed | unsent
    case_id: str | None = None
    form: str | None = None
    issued: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None
    retry: bool = False  # could not be read now (locked, denied, vanished): try again later

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


#: How deep the Inbox is walked: Inbox/<case number>/ holds evidence, and people drop
#: whole folders of photos in it. Deeper entries are quarantined as a folder.
MAX_DEPTH = 6


def inbox_files(folder: SharedFolder) -> Iterator[Path]:
    """Every entry of the Inbox to handle, oldest first (the order people saved them):
    files at the top, files in folders below it (evidence), and anything that is not a
    regular file (a link, a FIFO, a device), which is never followed, opened or entered.
    Only real folders are walked into."""
    if not folder.inbox.is_dir():
        return
    found: list[tuple[int, str, Path]] = []

    def walk(where: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(where))
        except OSError:  # removed or renamed while we looked
            return
        for entry in entries:
            try:  # an entry may go while the Inbox is listed (Word's save dance)
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            path = Path(entry.path)
            if stat.S_ISDIR(info.st_mode) and depth < MAX_DEPTH:
                walk(path, depth + 1)
            elif not stat.S_ISDIR(info.st_mode) or depth > 0:
                found.append((info.st_mtime_ns, str(path), path))

    walk(folder.inbox, 0)
    for _, _, path in sorted(found):
        yield path


class Intake:
    """Files one Inbox file at a time: the one-shot pass and the service share it.
    Holds the registry connection; use it from one thread."""

    def __init__(
        self,
        root: Path,
        policy: Policy,
        company: str,
        closure_packets: bool = False,
        packets_later: bool = False,
        mail: MailSettings | None = None,
        weekly_reports: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.folder = SharedFolder(root)
        self.mail = mail if mail is not None and mail.enabled else None
        self.weekly_reports = weekly_reports
        self.registry = open_registry(self.folder)
        self.engine = Engine(self.registry, policy)
        self.company = company
        # Plans that cannot be finished now (a full disk): reported, never a stop.
        self.jammed: list[str] = []
        self.recovered = recover(self.folder.root, self.registry, self.jammed)
        self.policy = policy
        self.closure_packets = closure_packets
        # The service renders packets in a thread of their own (LibreOffice takes seconds):
        # cases that want one wait here for it to take them.
        self.packets_later = packets_later
        self.wanted: list[str] = []
        self.unsealable: set[str] = set()  # quarters whose close was refused this run
        self.renderer = Renderer(self.folder.state / "libreoffice")
        self.pages = AuditorPages(self.folder.archive, self.registry, policy)
        # Pages are derived: any a stopped run did not write are written now. A case whose
        # page cannot be made (a value an older closedloop let in) must not stop the folder.
        with contextlib.suppress(OSError, ArithmeticError, ValueError):
            self.pages.refresh_stale(datetime.now().replace(microsecond=0))
        limits = limits or Limits()
        # One reading process for the whole run: it starts at the first form (an empty
        # Inbox costs nothing) and is reused, so a form costs a fraction of a ms more.
        self.reading = IsolatedReader() if limits.isolated and limits.reader is None else None
        if self.reading is not None:
            limits = replace(limits, reader=self.reading.read)
        self.limits = limits

    def close(self) -> None:
        if self.reading is not None:
            self.reading.close()
        self.registry.close()

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cases_missing_packets(self) -> list[str]:
        """Closed cases without their packet (a run stopped while building it), except
        those sealed in their quarter (read-only)."""
        if not self.closure_packets:
            return []
        return [
            case.case_id
            for case in self.registry.cases(state="closed")
            if not case.packet_sha256
            and case_folder(self.folder.archive, case.case_id, case.customer).parent
            == self.folder.archive
        ]

    def missing_packets(self, now: datetime) -> list[FileResult]:
        """Build now the packets cases_missing_packets() names."""
        out = []
        for case_id in self.cases_missing_packets():
            done = self._packet_if_closed(case_id, now)
            if done is not None:
                out.append(FileResult(case_id, "filed", case_id, reason=done))
                self._pages_changed([case_id], now)
        return out

    def seal_ended_quarters(self, now: datetime) -> list[FileResult]:
        """Seal every quarter that has ended with closed cases not yet in its folder."""
        out = []
        for quarter in unsealed_quarters(self.folder.archive, self.registry, now):
            try:
                done = close_quarter(
                    self.folder.archive,
                    self.registry,
                    quarter,
                    now,
                    self.policy,
                    self.company,
                    self.folder.reports,
                )
            except ArchiveError as exc:
                # A quarter that cannot be sealed (a link planted in a case folder) is said
                # once a run; the filing goes on, and the next run tries again.
                if str(quarter) not in self.unsealable:
                    self.unsealable.add(str(quarter))
                    out.append(
                        FileResult(
                            f"Archive/{quarter.folder_name}",
                            "refused",
                            reason=f"{quarter} could not be sealed: {exc}",
                        )
                    )
                continue
            self._pages_changed(done.moved, now)  # their documents moved
            out.append(
                FileResult(
                    str(done.folder.relative_to(self.folder.root)),
                    "sealed",
                    reason=f"{quarter} is over: {len(done.moved)} closed cases sealed",
                )
            )
        return out

    def process(self, path: Path, now: datetime) -> FileResult:
        """File, refuse or leave one file; a failure leaves it in the Inbox, reported."""
        # A folder made a link while we run: stop (LinkedFolder) rather than write there.
        refuse_links(self.folder)
        try:
            if self.registry.pending():  # a plan a failed move left: finish it first
                self.jammed = []
                recover(self.folder.root, self.registry, self.jammed)
            result = _ingest(
                path,
                self.folder,
                self.registry,
                self.engine,
                self.company,
                now,
                self._mail_for_issued(now),
                self.limits,
            )
        except DiskFull as exc:  # not the file's fault, nor a broken registry: wait for room
            return FileResult(shown(path.name), "ignored", reason=str(exc), retry=True)
        except JournalError:
            raise  # a plan in the registry leads outside the folder: edited by hand
        except Exception as exc:  # one file must not stop the others; it stays put
            if registry_failure(exc) is not None:
                raise  # the registry itself failed: no file can be filed, the run stops
            return FileResult(
                shown(path.name),
                "ignored",
                reason=f"closedloop failed on this file ({type(exc).__name__}: {exc}); "
                "it stays in the Inbox and will be tried again",
                retry=True,
            )
        if result.outcome == "filed" and result.case_id:
            # The case, and a case a rejection registered again (named in its outbox file).
            issued_to = {i["file"].rsplit("/", 1)[-1].split(" ", 1)[0] for i in result.issued}
            changed = {result.case_id} | {c for c in issued_to if CASE_ID.match(c)}
            if self.closure_packets and self.packets_later:
                if self._wants_packet(result.case_id):
                    self.wanted.append(result.case_id)
                    result.reason = f"{result.reason}; its closure packet is being built"
            elif self.closure_packets:
                packet = self._packet_if_closed(result.case_id, now)
                result.reason = f"{result.reason}; {packet}" if packet else result.reason
            self._pages_changed(sorted(changed), now)
        return result

    def _mail_for_issued(self, now: datetime) -> OnIssued | None:
        mail = self.mail
        if mail is None:
            return None
        calendar = self.pages.calendar  # made once: a calendar costs milliseconds to make
        return lambda item, copy: queue_issued(
            self.registry, mail, self.policy, calendar, item, copy, now
        )

    def jammed_results(self) -> list[FileResult]:
        """Filings committed whose files could not all be put in place yet (a full disk,
        a permission): said, and tried again at the next pass."""
        return [
            FileResult(
                ".closedloop/staging",
                "ignored",
                reason=f"a filing's files could not be put in place ({why}); "
                "they are tried again at the next pass (`closedloop doctor` shows it)",
            )
            for why in self.jammed
        ]

    def mail_pass(self, now: datetime) -> list[FileResult]:
        """Queue today's digest when its hour has come, and send what is due."""
        if self.mail is None:
            return []
        queue_digest(self.registry, self.mail, self.policy, now)
        return [
            FileResult(
                s.subject,
                "mailed" if s.error is None else "unsent",
                reason=f"to {s.to}"
                if s.error is None
                else f"to {s.to}: {s.error}; "
                + ("given up" if s.gave_up else "it is tried again later"),
            )
            for s in send_due(self.registry, self.folder.archive, self.mail, now)
        ]

    def weekly_report_due(self, now: datetime) -> list[FileResult]:
        """Once a week is over, its report is written (once) into Reports/."""
        if not self.weekly_reports:
            return []
        week = Span.week_of(now.date() - timedelta(days=7))
        if (self.folder.reports / f"{weekly_name(week)}.xlsx").exists():
            return []
        first = self.registry.first_opened()
        if first is None or first >= week.end:
            return []  # nothing had happened yet: a new folder gets no empty report
        report = weekly_report(self.registry, self.policy, week, now, self.company)
        try:
            written = write_report(self.folder.reports, report)
        except OSError as exc:  # a report is not worth stopping the filing for
            return [
                FileResult(
                    f"Reports/{report.name}.xlsx",
                    "ignored",
                    reason=f"the weekly report could not be written ({exc}); "
                    "it is tried again at the next pass",
                )
            ]
        return [
            FileResult(
                str(written[0].relative_to(self.folder.root)),
                "reported",
                reason=f"{week.label} is over: its report is written",
            )
        ]

    def _wants_packet(self, case_id: str) -> bool:
        case = self.registry.case(case_id)
        return case is not None and case.state == "closed" and not case.packet_sha256

    def file_built_packet(self, case_id: str, pdf: bytes, now: datetime) -> FileResult:
        """File a packet the service rendered in its packet thread."""
        if not self._wants_packet(case_id):
            return FileResult(case_id, "ignored", case_id, reason="it already has its packet")
        where = file_packet(self.folder.root, self.registry, case_id, pdf, now)
        self._pages_changed([case_id], now)
        return FileResult(
            case_id,
            "filed",
            case_id,
            reason=f"closure packet: {where.relative_to(self.folder.root)}",
        )

    def _packet_if_closed(self, case_id: str, now: datetime) -> str | None:
        """Build the closure packet of a case this filing closed; never fails the filing."""
        if not self._wants_packet(case_id):
            return None
        try:
            pdf = build_packet(
                self.folder.archive, self.registry, self.policy, case_id, self.renderer, now
            )
            where = file_packet(self.folder.root, self.registry, case_id, pdf, now)
        except (ArchiveError, OSError) as exc:
            return (
                f"the closure packet could not be built ({exc}); build it with `closedloop packet`"
            )
        return f"closure packet: {where.relative_to(self.folder.root)}"

    def _pages_changed(self, case_ids: list[str], now: datetime) -> None:
        for case_id in case_ids:
            # Derived pages: one that cannot be written now is written at the next start;
            # one that cannot be made at all (a value an older closedloop let in) never
            # stops the filing that changed it.
            with contextlib.suppress(OSError, ArithmeticError, ValueError):
                self.pages.case_changed(case_id, now)


def ingest_once(
    root: Path,
    policy: Policy,
    company: str,
    now: datetime,
    close_quarters: bool = False,
    closure_packets: bool = False,
    mail: MailSettings | None = None,
    weekly_reports: bool = False,
    limits: Limits | None = None,
) -> list[FileResult]:
    """One pass over the Inbox; refuses (AlreadyWatched) while a `watch` runs on it. With
    `close_quarters`, quarters that have ended are then sealed (outcome "sealed"); with
    `weekly_reports`, last week's report is written when missing ("reported"); with `mail`,
    the e-mails the pass queued are sent after it ("mailed", or "unsent" for a retry)."""
    with (
        InstanceLock(SharedFolder(root).state, "closedloop ingest"),
        Intake(
            root,
            policy,
            company,
            closure_packets,
            mail=mail,
            weekly_reports=weekly_reports,
            limits=limits,
        ) as intake,
    ):
        results = intake.missing_packets(now)
        results += [intake.process(path, now) for path in inbox_files(intake.folder)]
        results += intake.jammed_results()
        if close_quarters:
            results += intake.seal_ended_quarters(now)
        results += intake.weekly_report_due(now)
        results += intake.mail_pass(now)
        return results


def _ingest(
    path: Path,
    folder: SharedFolder,
    registry: Registry,
    engine: Engine,
    company: str,
    now: datetime,
    on_issued: OnIssued | None = None,
    limits: Limits | None = None,
) -> FileResult:
    limits = limits or Limits()
    relative = path.relative_to(folder.root)
    inside = path.relative_to(folder.inbox)
    evidence = len(inside.parts) > 1
    name = shown(inside.as_posix())
    if is_junk(path.name):
        return FileResult(name, "ignored", reason="an office lock or temporary file")
    try:
        info = lstat_at(folder.root, relative)
    except NotARegularFile as exc:  # a folder above it became a link since the listing
        return FileResult(name, "ignored", reason=f"{exc.what} is on its path; not followed")
    except OSError as exc:
        return _not_now(name, exc)
    if not stat.S_ISREG(info.st_mode):
        # Never opened, read through or removed through: the entry itself goes aside.
        _quarantine_entry(path, name, info, folder, registry, now)
        return FileResult(name, "refused", reason=f"it is {kind_of(info.st_mode)}")
    if evidence:
        return _ingest_evidence(path, relative, name, folder, registry, now, limits)
    try:
        read = read_regular(folder.root, relative, MAX_FILE_BYTES)
    except TooLarge as exc:
        # Refused by its size alone, so its bytes are not read: the file itself goes aside.
        _quarantine_entry(
            path,
            name,
            info,
            folder,
            registry,
            now,
            [f"it is {exc.size // 2**20} MB, too large for a form."],
            "Save the form again from its Word or Excel file; "
            "photos and other files for a case go into Inbox/<case number>/.",
        )
        return FileResult(name, "refused", reason=f"unsafe: it is {exc.size // 2**20} MB")
    except NotARegularFile as exc:  # swapped for a link since it was looked at
        return _became(name, exc)
    except OSError as exc:
        return _not_now(name, exc)
    data, sha256 = read.data, read.sha256
    quarantine = _Quarantine(path, name, folder, registry, now, sha256=sha256)
    try:
        outcome = _file(
            path, data, sha256, folder, registry, engine, company, now, on_issued, limits
        )
    except _Refusal as refusal:
        quarantine(refusal.reasons, refusal.fix)
        return FileResult(
            name, "refused", refusal.case_id, refusal.form, reason=" ".join(refusal.reasons)
        )
    except _AlreadyFiled as done:
        unlink_regular(folder.root, relative, sha256)
        return FileResult(name, "filed", done.case_id, done.form, reason=_finished(done))
    except RefusedFile as exc:
        if exc.kind == "lock_file":
            return FileResult(name, "ignored", reason=exc.reason)
        quarantine([exc.reason], exc.fix)
        return FileResult(name, "refused", reason=f"{exc.kind}: {exc.reason}")
    issued = [{"form": i.form, "department": i.department, "file": i.file} for i in outcome.issued]
    note = outcome.note
    if os.path.lexists(path):  # filed all the same; the copy left behind is recognised next time
        note += "; the Inbox copy could not be removed"
    return FileResult(name, "filed", outcome.case_id, outcome.form, issued, note)


def _ingest_evidence(
    path: Path,
    relative: Path,
    name: str,
    folder: SharedFolder,
    registry: Registry,
    now: datetime,
    limits: Limits,
) -> FileResult:
    """A file in Inbox/<case number>/ (or a folder below it): hashed and copied streaming,
    under the size cap of the settings."""
    try:
        sha256, size = hash_regular(folder.root, relative, limits.evidence_bytes)
    except TooLarge as exc:
        info = lstat_at(folder.root, relative)
        _quarantine_entry(
            path,
            name,
            info,
            folder,
            registry,
            now,
            [
                f"it is {_megabytes(exc.size)}, more than the {_megabytes(exc.limit)} a "
                "file for a case may be (max_evidence_mb in [inbox] of closedloop.toml)."
            ],
            "Keep large files (videos) elsewhere and save a link or a smaller copy for the "
            "case; or ask the administrator to raise max_evidence_mb.",
        )
        return FileResult(name, "refused", reason=f"it is {_megabytes(exc.size)}: too large")
    except NotARegularFile as exc:
        return _became(name, exc)
    except OSError as exc:
        return _not_now(name, exc)
    quarantine = _Quarantine(path, name, folder, registry, now, sha256=sha256)
    try:
        return _file_evidence(path, relative, name, sha256, size, folder, registry, now, limits)
    except _Refusal as refusal:
        quarantine(refusal.reasons, refusal.fix)
        return FileResult(name, "refused", refusal.case_id, reason=" ".join(refusal.reasons))
    except _AlreadyFiled as done:
        unlink_regular(folder.root, relative, sha256)
        return FileResult(name, "filed", done.case_id, reason=_finished(done))


def _not_now(name: str, exc: OSError) -> FileResult:
    """A file that cannot be read now (held open, permission denied): tried again later."""
    return FileResult(
        name,
        "ignored",
        reason=f"cannot be read now ({exc.strerror}); it stays in the Inbox",
        retry=True,
    )


def _became(name: str, exc: NotARegularFile) -> FileResult:
    """An entry swapped for a link (or a FIFO) since it was listed: looked at anew."""
    return FileResult(name, "ignored", reason=f"it became {exc.what}; looked at again later")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size / 1024:,.0f} kB"


def _holds(root: Path, path: Path, sha256: str) -> bool:
    """Whether `path` is a regular file (reached without links) holding those bytes."""
    try:
        return hash_regular(root, path.relative_to(root))[0] == sha256
    except (OSError, ValueError):
        return False


def _finished(done: _AlreadyFiled) -> str:
    return f"already filed as {done.where}; the Inbox copy an interrupted run left was removed"


def _file(
    path: Path,
    data: bytes,
    sha256: str,
    folder: SharedFolder,
    registry: Registry,
    engine: Engine,
    company: str,
    now: datetime,
    on_issued: OnIssued | None = None,
    limits: Limits | None = None,
) -> Outcome:
    # The name the registry and the notes keep: one that is not UTF-8 is kept escaped.
    source = path.with_name(utf8_name(path.name))
    first = registry.filing_by_sha256(sha256)
    if first is not None:
        case = registry.case(first.case_id)
        where = case_folder(folder.archive, first.case_id, case.customer if case else None)
        archived = where / first.file
        if first.source == source.name and _holds(folder.root, archived, sha256):
            # The same file, under the same name, already filed: its removal from the Inbox
            # failed (a permission, a file held open). Finish it.
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
    read = limits.read(source, data) if limits is not None else read_form(source, data)
    if read.problems:
        raise _Refusal(
            [p.message for p in read.problems],
            "Correct the form, save it, and put it into the Inbox again.",
            read.case_id,
            read.form.id,
        )

    def stage(plan: Plan, outcome: Outcome) -> None:
        # Inside the filing's transaction: nothing is visible until it commits.
        folders = {
            outcome.case_id: case_folder(
                folder.archive, outcome.case_id, outcome.customer, outcome.created
            )
        }
        if outcome.new_case:  # re-registered: a new case, a new folder
            folders[outcome.new_case] = case_folder(
                folder.archive, outcome.new_case, outcome.customer, new=True
            )
        plan.write(original_path(folders[outcome.case_id], outcome.stored_as), data)
        for item in outcome.issued:
            form = get_form(item.form)
            fmt = item.file.rsplit(".", 1)[-1]
            document = render_form(form, fmt, item.values, item.case_id, company)  # type: ignore[arg-type]
            target = folder.root / Path(*[safe_name(p) for p in Path(item.file).parts])
            plan.write(target, document)
            # The case folder keeps what was sent, as it was sent.
            case_dir = folders[item.case_id]
            copy = free_name(case_dir / "issued" / target.name)
            plan.write(copy, document)
            registry.record_issued_copy(
                item.case_id,
                item.file,
                copy.relative_to(case_dir).as_posix(),
                hashlib.sha256(document).hexdigest(),
            )
            if on_issued is not None:  # its e-mail, queued in the same transaction
                on_issued(item, copy.relative_to(case_dir).as_posix())
        for case_id, case_dir in folders.items():
            stage_case_files(plan, registry, case_dir, case_id)
        plan.remove(path, sha256)

    try:
        with journaled(registry, folder.root, now) as plan:
            # The engine's transaction is the journal's: the plan commits with the filing.
            outcome = engine.file(read, sha256, now, before_commit=lambda o: stage(plan, o))
    except FilingRefused as exc:
        raise _Refusal([exc.reason], exc.fix, exc.case_id, read.form.id) from None
    return outcome


NOTE_SUFFIX = " - what to fix.txt"


def quarantine_place(folder: SharedFolder, name: str) -> Path:
    """A free place in Quarantine for a refused file named `name`: a name Windows takes,
    that fits 255 bytes with its note's suffix (the note is the name plus NOTE_SUFFIX)."""
    return free_name(folder.quarantine / safe_name(utf8_name(name), 255), len(NOTE_SUFFIX))


class _Quarantine:
    """Moves a refused Inbox entry to Quarantine beside a note saying what to fix, through
    the journal: a crash leaves it in the Inbox, or both in place. A file is moved while it
    holds the bytes hashing to `sha256`; an entry not to be read (a link, a FIFO) is moved
    as the entry itself while it is still the (device, inode) `entry` seen."""

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
    ) -> None:
        self.path, self.shown, self.sha256, self.entry = path, shown, sha256, entry
        self.folder, self.registry, self.now = folder, registry, now

    def __call__(self, reasons: list[str], fix: str) -> None:
        target = quarantine_place(self.folder, self.path.name)
        note = quarantine_note(self.shown, reasons, fix, self.now).encode("utf-8")
        with journaled(self.registry, self.folder.root, self.now) as plan:
            plan.write(target.with_name(target.name + NOTE_SUFFIX), note)
            if self.sha256 is not None:
                plan.move(self.path, target, self.sha256)
            elif self.entry is not None:
                plan.move_entry(self.path, target, self.entry)


def _quarantine_entry(
    path: Path,
    shown: str,
    info: os.stat_result,
    folder: SharedFolder,
    registry: Registry,
    now: datetime,
    reasons: list[str] | None = None,
    fix: str | None = None,
) -> None:
    """Move an Inbox entry that is not to be read (a link, a FIFO, a device, a folder too
    deep, a file too large) to Quarantine as it is, beside its note. A link is moved as
    the link: what it names is never touched."""
    what = kind_of(info.st_mode)
    if reasons is None:
        reasons = [f"it is {what}."]
        if stat.S_ISLNK(info.st_mode):
            reasons.append("closedloop never follows links: they could lead anywhere.")
        elif stat.S_ISDIR(info.st_mode):
            reasons = [f"it is a folder nested more than {MAX_DEPTH} folders deep."]
    if fix is None:
        fix = (
            "Save the document itself (not a link or shortcut to it) into the Inbox, or into "
            "Inbox/<case number>/ for a photo or other file of a case."
        )
    entry = (info.st_dev, info.st_ino)
    _Quarantine(path, shown, folder, registry, now, entry=entry)(reasons, fix)


def _file_evidence(
    path: Path,
    relative: Path,
    name: str,
    sha256: str,
    size: int,
    folder: SharedFolder,
    registry: Registry,
    now: datetime,
    limits: Limits,
) -> FileResult:
    """A photo, PDF, e-mail or spreadsheet saved into Inbox/<case number>/ (or a folder
    below it): kept, with its hash, in the case's evidence/ folder."""
    inside = path.relative_to(folder.inbox)
    case_id = inside.parts[0]
    # Inbox/CC-2026-0001/visit/photo.jpg is kept as "visit - photo.jpg".
    kept_name = " - ".join(utf8_name(p) for p in inside.parts[1:])
    fix_folder = "Put files for a case into the Inbox folder named by its case number, like Inbox/CC-2026-0001/."
    if not CASE_ID.match(case_id):
        raise _Refusal(
            [f"it is in the Inbox folder '{shown(case_id)}', which is not a case number."],
            fix_folder,
        )
    case = registry.case(case_id)
    if case is None:
        raise _Refusal(
            [f"there is no case {case_id}."], "Check the folder's name. " + fix_folder, case_id
        )
    earlier = registry.evidence_by_sha256(sha256)
    if earlier is not None:
        first = case_folder(folder.archive, earlier.case_id, None) / earlier.file
        if earlier.case_id == case_id and earlier.source == kept_name and first.is_file():
            raise _AlreadyFiled(case_id, "evidence", str(first.relative_to(folder.root)))
        raise _Refusal(
            [
                f"the same file was already filed on {earlier.filed_at:%Y-%m-%d %H:%M} as "
                f"{first.relative_to(folder.root)}."
            ],
            "Nothing to do if this is a second copy.",
            case_id,
        )
    if case.state == "closed":
        raise _Refusal(
            [f"case {case_id} is closed ({case.resolution}); its folder is no longer added to."],
            "If the problem goes on, register it as a new complaint and save the file under that case.",
            case_id,
        )
    case_dir = case_folder(folder.archive, case_id, case.customer)
    kept = evidence_path(case_dir, kept_name)
    stored = kept.relative_to(case_dir).as_posix()
    with journaled(registry, folder.root, now) as plan:
        plan.copy(kept, path, sha256)
        plan.remove(path, sha256)
        registry.add_evidence(Evidence(case_id, stored, sha256, now, kept_name))
        registry.append_history(Event(case_id, now, "evidence added", None, sha256, None, stored))
        stage_case_files(plan, registry, case_dir, case_id)
    return FileResult(name, "filed", case_id, reason=f"evidence: {kept.relative_to(folder.root)}")


@dataclass(frozen=True)
class Limits:
    """What one Inbox file may cost: the largest evidence file kept, and how forms are
    read: in a process the OS holds to a memory and time budget (forms/isolated.py),
    which Intake starts at its first form and reuses, or by `reader` when one is given."""

    evidence_bytes: int = 200 * 2**20
    isolated: bool = True
    reader: Callable[[Path, bytes], FormRead] | None = None

    def read(self, path: Path, data: bytes) -> FormRead:
        return (self.reader or read_form)(path, data)
