"""Evidence: a photo, PDF, e-mail or spreadsheet saved into Inbox/<case number>/ (or a folder
below it) is kept, with its hash, in the case's evidence/ folder; hashed and copied
streaming, under the size cap of the settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.intake.desk import Desk
from app.intake.quarantine import Quarantine, quarantine_entry
from app.intake.refusals import AlreadyFiled, Refusal, became, megabytes, not_now
from app.results import FileResult, Outcome
from archive.casefile import stage_case_files
from archive.casefolder import case_folder, evidence_path
from archive.journal import journaled
from archive.nofollow import (
    NotARegularFile,
    TooLarge,
    hash_regular,
    lstat_at,
    unlink_regular,
    utf8_name,
)
from filing.registry import Event, Evidence
from filing.states import CaseState
from forms.identity import CASE_ID
from forms.shown import shown


def take_evidence(desk: Desk, path: Path, name: str, now: datetime) -> FileResult:
    folder = desk.folder
    relative = path.relative_to(folder.root)
    try:
        sha256, _ = hash_regular(folder.root, relative, desk.limits.evidence_bytes)
    except TooLarge as exc:
        info = lstat_at(folder.root, relative)
        quarantine_entry(
            path,
            name,
            info,
            folder,
            desk.registry,
            now,
            [
                f"it is {megabytes(exc.size)}, more than the {megabytes(exc.limit)} a "
                "file for a case may be (max_evidence_mb in [inbox] of closedloop.toml)."
            ],
            "Keep large files (videos) elsewhere and save a link or a smaller copy for the "
            "case; or ask the administrator to raise max_evidence_mb.",
            notify=desk.on_quarantined,
        )
        return FileResult(name, Outcome.REFUSED, reason=f"it is {megabytes(exc.size)}: too large")
    except NotARegularFile as exc:
        return became(name, exc)
    except OSError as exc:
        return not_now(name, exc)
    try:
        return _file_evidence(desk, path, name, sha256, now)
    except Refusal as refusal:
        Quarantine(
            path, name, folder, desk.registry, now, sha256=sha256, notify=desk.on_quarantined
        )(refusal.reasons, refusal.fix, refusal.settled_by()[0])
        return FileResult(name, Outcome.REFUSED, refusal.case_id, reason=" ".join(refusal.reasons))
    except AlreadyFiled as done:
        unlink_regular(folder.root, relative, sha256)
        return done.result(name)


def _file_evidence(desk: Desk, path: Path, name: str, sha256: str, now: datetime) -> FileResult:
    folder, registry = desk.folder, desk.registry
    inside = path.relative_to(folder.inbox)
    case_id = inside.parts[0]
    # Inbox/CC-2026-0001/visit/photo.jpg is kept as "visit - photo.jpg".
    kept_name = " - ".join(utf8_name(p) for p in inside.parts[1:])
    fix_folder = "Put files for a case into the Inbox folder named by its case number, like Inbox/CC-2026-0001/."
    if not CASE_ID.match(case_id):
        raise Refusal(
            [f"it is in the Inbox folder '{shown(case_id)}', which is not a case number."],
            fix_folder,
        )
    case = registry.case(case_id)
    if case is None:
        raise Refusal(
            [f"there is no case {case_id}."], "Check the folder's name. " + fix_folder, case_id
        )
    earlier = registry.evidence_by_sha256(sha256)
    if earlier is not None:
        first = case_folder(folder.archive, earlier.case_id, None) / earlier.file
        if earlier.case_id == case_id and earlier.source == kept_name and first.is_file():
            raise AlreadyFiled(case_id, None, str(first.relative_to(folder.root)))
        raise Refusal(
            [
                f"the same file was already filed on {earlier.filed_at:%Y-%m-%d %H:%M} as "
                f"{first.relative_to(folder.root)}."
            ],
            "Nothing to do if this is a second copy.",
            case_id,
            duplicate=True,
        )
    if case.state == CaseState.CLOSED:
        raise Refusal(
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
    return FileResult(
        name,
        Outcome.FILED,
        case_id,
        reason=f"evidence: {kept.relative_to(folder.root)}",
        cases=(case_id,),
    )
