"""Filing a form from the Inbox: refused when its bytes were filed before, read (in the
reading process), filed by the engine, and every file it puts in place staged in the
journal's plan, committed with the registry transaction."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path, PurePosixPath

from app.intake.desk import Desk
from app.intake.refusals import AlreadyFiled, Refusal, sentences
from app.results import FileResult, Outcome
from archive.casefile import stage_case_files
from archive.casefolder import case_folder, free_name, original_path
from archive.journal import Plan, journaled
from archive.nofollow import hash_regular, unlink_regular, utf8_name
from filing.engine import FilingRefused
from filing.engine import Outcome as Filed
from forms.definition import get_form
from forms.writer import render_form
from language import _, formats


def file_form(
    desk: Desk, path: Path, name: str, data: bytes, sha256: str, now: datetime
) -> FileResult:
    """File the form read from the Inbox entry `path` (shown as `name`). Raises Refusal
    (to Quarantine) or RefusedFile (the reader's)."""
    try:
        filed = _file(desk, path, data, sha256, now)
    except AlreadyFiled as done:
        unlink_regular(desk.folder.root, path.relative_to(desk.folder.root), sha256)
        return done.result(name)
    issued = [{"form": i.form, "department": i.department, "file": i.file} for i in filed.issued]
    note = filed.note  # App.file_all says if the Inbox copy stays once the batch is done
    changed = (filed.case_id, *sorted({i.case_id for i in filed.issued} - {filed.case_id}))
    return FileResult(name, Outcome.FILED, filed.case_id, filed.form, issued, note, cases=changed)


def _sent_as(desk: Desk, case_id: str | None, form: str) -> str | None:
    """Where the form last issued for the case is now: the top of its outbox while the case
    waits for it, its Done/ folder once not; None when none was issued."""
    if case_id is None:
        return None
    issued = [i for i in desk.registry.issued(case_id) if i.form == form]
    if not issued:
        return None
    sent = PurePosixPath(issued[-1].file)
    if os.path.lexists(desk.folder.root / sent):
        return sent.as_posix()
    return (sent.parent / desk.folder.names.done / sent.name).as_posix()


def _holds(root: Path, path: Path, sha256: str) -> bool:
    """Whether `path` is a regular file (reached without links) holding those bytes."""
    try:
        return hash_regular(root, path.relative_to(root))[0] == sha256
    except (OSError, ValueError):
        return False


def _file(desk: Desk, path: Path, data: bytes, sha256: str, now: datetime) -> Filed:
    folder, registry = desk.folder, desk.registry
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
            raise AlreadyFiled(first.case_id, first.form, str(archived.relative_to(folder.root)))
        raise Refusal(
            [
                _("the same file was already filed on {when} in case {case}, as {where}.").format(
                    when=formats.minute(first.filed_at),
                    case=first.case_id,
                    where=where.relative_to(folder.root) / first.file,
                )
            ],
            _(
                "Nothing to do if this is a second copy. If you meant to change the form, make "
                "the change, save it, and put it into the {inbox} again."
            ).format(inbox=folder.inbox.name),
            first.case_id,
            first.form,
            duplicate=True,
        )
    read = desk.limits.read(source, data)
    # Every problem in one go: the reader's, the dates the moment of filing refuses, and
    # why the case cannot take the form now; and where the right form is.
    problems = desk.engine.problems(read, now)
    case_refusal = desk.engine.case_refusal(read, now)
    if case_refusal is not None and case_refusal.elsewhere:
        # Another site's case: where to take it is all this site can say (what the form
        # lacks is for that site's filing to tell, and its outbox is not here).
        raise Refusal(case_refusal.reasons, case_refusal.fix, read.case_id, read.form.id)
    if problems or case_refusal is not None:
        fixes = (
            [
                _(
                    "Correct the file beside this note (it holds what was filled in), save it, "
                    "and put it into the {inbox} again."
                ).format(inbox=folder.inbox.name)
            ]
            if problems
            else []
        )
        if case_refusal is not None:
            problems += case_refusal.reasons
            fixes.append(case_refusal.fix)
        if (sent := _sent_as(desk, read.case_id, read.form.id)) is not None:
            fixes.append(
                _("A fresh copy of the form as it was sent is {where}.").format(where=sent)
            )
        raise Refusal(problems, sentences(fixes), read.case_id, read.form.id)

    def stage(plan: Plan, filed: Filed) -> None:
        # Inside the filing's transaction: nothing is visible until it commits.
        folders = {
            filed.case_id: case_folder(folder.archive, filed.case_id, filed.customer, filed.created)
        }
        if filed.new_case:  # re-registered: a new case, a new folder
            folders[filed.new_case] = case_folder(
                folder.archive, filed.new_case, filed.customer, new=True
            )
        plan.write(original_path(folders[filed.case_id], filed.stored_as), data)
        for item in filed.issued:
            document = render_form(
                get_form(item.form),
                item.format,
                item.values,
                item.case_id,
                desk.company,
                language=desk.languages[0],
                second_language=desk.languages[1] if len(desk.languages) > 1 else None,
            )
            target = folder.root.joinpath(*item.outbox.parts)
            plan.write(target, document)
            # The case folder keeps what was sent, as it was sent.
            case_dir = folders[item.case_id]
            copy = free_name(case_dir / "issued" / target.name)
            plan.write(copy, document)
            kept = copy.relative_to(case_dir).as_posix()
            registry.record_issued_copy(
                item.case_id, item.file, kept, hashlib.sha256(document).hexdigest()
            )
            if desk.on_issued is not None:  # its e-mail, queued in the same transaction
                desk.on_issued(item, kept, now)
        for case_id, case_dir in folders.items():
            stage_case_files(plan, registry, case_dir, case_id)
        plan.remove(path, sha256)

    try:
        with journaled(registry, folder.root, now) as plan:
            # The engine's transaction is the journal's: the plan commits with the filing.
            return desk.engine.file(read, sha256, now, before_commit=lambda o: stage(plan, o))
    except FilingRefused as exc:
        raise Refusal(exc.reasons, exc.fix, exc.case_id, read.form.id) from None
