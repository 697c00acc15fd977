"""`closedloop rebuild`: the registry made again from the case folders alone.

Every case folder's case.json holds the case, its filings (with every field), issued
forms and evidence; its history.jsonl holds the events. A new registry is built beside
the live one and then put in its place; the old one is kept beside it, renamed, with
its journal file, so that SQLite can never roll the new file back with the old journal.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.casefile import CASE_JSON, HISTORY, SCHEMA, case_from_record
from archive.errors import ArchiveError
from archive.verify import case_folders, verify_case
from filing.registry import Event, Evidence, Filing, Issued, Registry
from forms.atomicfile import fsync_dir


class RebuildRefused(ArchiveError):
    """A case folder cannot be trusted to rebuild from; the message names it."""


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    filings: int
    registry: Path
    kept_old: Path | None


def rebuild_registry(archive: Path, registry_path: Path, now: datetime) -> Rebuilt:
    folders = case_folders(archive)
    for folder in folders:  # rebuild only from folders that are as they were filed
        check = verify_case(folder)
        if check.findings:
            first = check.findings[0]
            raise RebuildRefused(
                f"{folder}: {first.file} is {first.kind} ({first.detail}); run "
                "`closedloop verify` and restore the folder from a backup before rebuilding"
            )
    fresh = registry_path.with_name(registry_path.name + ".rebuilding")
    for leftover in (fresh, fresh.with_name(fresh.name + "-journal")):
        leftover.unlink(missing_ok=True)
    filings = 0
    with Registry(fresh) as registry, registry.transaction():
        # A reopened case and its successor point at each other: check links at commit.
        registry.db.execute("PRAGMA defer_foreign_keys = ON")
        for folder in folders:
            filings += _load_case(registry, folder)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    kept: Path | None = None
    if registry_path.exists():
        # A second name for the old registry first, then the new one over it in one
        # rename: a stop at any point leaves a registry in place, old or new.
        kept = registry_path.with_name(f"{registry_path.name}.before-rebuild-{stamp}")
        try:
            os.link(registry_path, kept)
        except OSError:  # a file system without hard links (some network shares)
            shutil.copy2(registry_path, kept)
    journal = registry_path.with_name(registry_path.name + "-journal")
    if journal.exists():
        journal.replace(journal.with_name(f"{journal.name}.before-rebuild-{stamp}"))
    fresh.replace(registry_path)
    fsync_dir(registry_path.parent)
    return Rebuilt(len(folders), filings, registry_path, kept)


def _load_case(registry: Registry, folder: Path) -> int:
    try:
        record: dict[str, Any] = json.loads((folder / CASE_JSON).read_bytes())
    except (OSError, ValueError) as exc:
        raise RebuildRefused(f"{folder / CASE_JSON}: cannot be read ({exc})") from None
    if record.get("schema") != SCHEMA:
        raise RebuildRefused(
            f"{folder / CASE_JSON}: schema {record.get('schema')!r}, this closedloop knows "
            f"{SCHEMA}; use the closedloop that wrote it"
        )
    case = case_from_record(record["case"])
    registry.note_case_number(case.case_id)
    registry.save_case(case)
    for f in record["filings"]:
        registry.add_filing(
            Filing(
                case.case_id,
                f["form"],
                f["version"],
                datetime.fromisoformat(f["filed_at"]),
                f["file"],
                f["sha256"],
                f["person"],
                f["fields"],
                f["source"],
            )
        )
    for i in record["issued"]:
        registry.add_issued(
            Issued(
                case.case_id,
                i["form"],
                i["department"],
                i["file"],
                datetime.fromisoformat(i["issued_at"]),
                i["copy"],
                i["sha256"],
            )
        )
    for e in record["evidence"]:
        registry.add_evidence(
            Evidence(
                case.case_id,
                e["file"],
                e["sha256"],
                datetime.fromisoformat(e["filed_at"]),
                e["source"],
            )
        )
    for line in (folder / HISTORY).read_bytes().splitlines():
        h = json.loads(line)
        registry.append_history(
            Event(
                case.case_id,
                datetime.fromisoformat(h["at"]),
                h["event"],
                h["form"],
                h["sha256"],
                h["person"],
                h["detail"],
            )
        )
    return len(record["filings"])
