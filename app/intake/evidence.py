"""Evidence: a photo, PDF, e-mail or spreadsheet saved into Inbox/<case number>/ (or a folder
below it) is kept, with its hash, in the case's evidence/ folder; hashed and copied
streaming, under the size cap of the settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.intake.desk import Desk
from app.intake.quarantine import Quarantine, quarantine_entry
from app.intake.refusals import AlreadyFiled, Refusal, became, megabytes, not_now, sentences
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
from filing.words import resolution_words
from forms.identity import CASE_ID
from forms.shown import shown
from language import _, current, formats


def take_evidence(desk: Desk, path: Path, name: str, now: datetime) -> FileResult:
    folder = desk.folder
    relative = path.relative_to(folder.root)
    try:
        sha256, _size = hash_regular(folder.root, relative, desk.limits.evidence_bytes)
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
                _(
                    "it is {size}, more than the {limit} a file for a case may be "
                    "(max_evidence_mb in [inbox] of closedloop.toml)."
                ).format(size=megabytes(exc.size), limit=megabytes(exc.limit))
            ],
            _(
                "Keep large files (videos) elsewhere and save a link or a smaller copy for the "
                "case; or ask the administrator to raise max_evidence_mb."
            ),
            notify=desk.on_quarantined,
        )
        too_large = _("it is {size}: too large").format(size=megabytes(exc.size))
        return FileResult(name, Outcome.REFUSED, reason=too_large)
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
        reason = sentences(refusal.reasons)
        return FileResult(name, Outcome.REFUSED, refusal.case_id, reason=reason)
    except AlreadyFiled as done:
        unlink_regular(folder.root, relative, sha256)
        return done.result(name)


def _file_evidence(desk: Desk, path: Path, name: str, sha256: str, now: datetime) -> FileResult:
    folder, registry = desk.folder, desk.registry
    inside = path.relative_to(folder.inbox)
    case_id = inside.parts[0]
    # Inbox/CC-2026-0001/visit/photo.jpg is kept as "visit - photo.jpg".
    kept_name = " - ".join(utf8_name(p) for p in inside.parts[1:])
    inbox = folder.inbox.name
    fix_folder = _(
        "Put files for a case into the {inbox} folder named by its case number, like "
        "{inbox}/CC-2026-0001/."
    ).format(inbox=inbox)
    if not CASE_ID.match(case_id):
        raise Refusal(
            [
                _("it is in the {inbox} folder '{folder}', which is not a case number.").format(
                    inbox=inbox, folder=shown(case_id)
                )
            ],
            fix_folder,
        )
    case = registry.case(case_id)
    if case is None:
        raise Refusal(
            [_("there is no case {case}.").format(case=case_id)],
            sentences([_("Check the folder's name."), fix_folder]),
            case_id,
        )
    earlier = registry.evidence_by_sha256(sha256)
    if earlier is not None:
        first = case_folder(folder.archive, earlier.case_id, None) / earlier.file
        if earlier.case_id == case_id and earlier.source == kept_name and first.is_file():
            raise AlreadyFiled(case_id, None, str(first.relative_to(folder.root)))
        raise Refusal(
            [
                _("the same file was already filed on {when} as {where}.").format(
                    when=formats.minute(earlier.filed_at), where=first.relative_to(folder.root)
                )
            ],
            _("Nothing to do if this is a second copy."),
            case_id,
            duplicate=True,
        )
    if case.state == CaseState.CLOSED:
        raise Refusal(
            [
                _("case {case} is closed ({ending}); its folder is no longer added to.").format(
                    case=case_id, ending=_ending(case.resolution)
                )
            ],
            _(
                "If the problem goes on, register it as a new complaint and save the file "
                "under that case."
            ),
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
        reason=_("evidence: {where}").format(where=kept.relative_to(folder.root)),
        cases=(case_id,),
    )


def _ending(resolution: str | None) -> str:
    """How a closed case ended: English has always said the id (`accepted`), which reads
    as a word; another language says it in its words."""
    return str(resolution) if current() == "en" else resolution_words(resolution)
