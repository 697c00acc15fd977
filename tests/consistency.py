"""What "never lose, never duplicate" means, checked on a shared folder after the fact:
every file saved into the Inbox is filed once or quarantined once, the registry and the
folders agree file for file, and no half-done work is left behind."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.settings import load_settings
from archive.casefolder import case_folder

#: A query's rows as tuples; its SQL may say {mine}: the cases of the folder's site.
Rows = Callable[[str], list[tuple[Any, ...]]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def registry_rows(root: Path) -> Iterator[Rows]:
    """Queries on the folder's registry, read as a second program would: its SQLite file,
    or (on a shared registry) its PostgreSQL database, {mine} naming this site's cases."""
    where = load_settings(root).registry
    mine = f"(SELECT case_id FROM cases WHERE site = '{where.site}')"  # a code: A-Z, 0-9
    if where.shared:
        import psycopg

        with psycopg.connect(where.url, autocommit=True) as pg:
            yield lambda sql: [tuple(r) for r in pg.execute(sql.format(mine=mine).encode())]
        return
    db = sqlite3.connect(root / ".closedloop" / "registry.sqlite")
    try:
        yield lambda sql: [tuple(r) for r in db.execute(sql.format(mine=mine))]
    finally:
        db.close()


def state(root: Path) -> dict[str, Any]:
    """The folder's outcome, without the clock: compare a run that was killed and resumed
    with one that was not."""
    with registry_rows(root) as rows:
        summary = {
            "cases": rows(
                "SELECT case_id, state, resolution, customer, parts, reopens, reopened_as "
                "FROM cases WHERE case_id IN {mine} ORDER BY case_id",
            ),
            "filings": rows(
                "SELECT case_id, form, version, file, sha256, source FROM filings "
                "WHERE case_id IN {mine} ORDER BY id",
            ),
            "evidence": rows(
                "SELECT case_id, file, sha256, source FROM evidence WHERE case_id IN {mine} "
                "ORDER BY id"
            ),
            "issued": rows(
                "SELECT case_id, form, department, file FROM issued WHERE case_id IN {mine} "
                "ORDER BY id"
            ),
            "history": rows(
                "SELECT case_id, event, form, sha256 FROM history WHERE case_id IN {mine} "
                "ORDER BY id",
            ),
        }
    summary["files"] = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in (".closedloop", "Blank Forms")
    )
    return json.loads(json.dumps(summary))  # tuples as lists, as a reloaded golden would be


def assert_consistent(root: Path, saved: list[tuple[str, str]]) -> None:
    """`saved`: (name, sha256) of every file put into the Inbox."""
    with registry_rows(root) as rows:
        customers = dict(rows("SELECT case_id, customer FROM cases WHERE case_id IN {mine}"))
        filings = rows("SELECT case_id, file, sha256 FROM filings WHERE case_id IN {mine}")
        evidence = rows("SELECT case_id, file, sha256 FROM evidence WHERE case_id IN {mine}")
        copies = rows("SELECT case_id, copy, sha256 FROM issued WHERE case_id IN {mine}")
        issued = {r[0] for r in rows("SELECT file FROM issued WHERE case_id IN {mine}")}
        site = load_settings(root).registry.site
        pending = rows(f"SELECT plan FROM pending WHERE site = '{site}'")
    archive = root / "Archive"
    recorded: dict[Path, str] = {}
    for case_id, file, digest in filings + evidence:
        path = case_folder(archive, case_id, customers[case_id]) / file
        assert path.is_file(), f"the registry files {path}, which is not there"
        assert sha256(path) == digest, f"{path} does not hold the bytes the registry records"
        recorded[path] = digest
    for case_id, copy, digest in copies:
        path = case_folder(archive, case_id, customers[case_id]) / copy
        assert path.is_file() and sha256(path) == digest, f"issued copy {path}"
        recorded[path] = digest
    for case_id, customer in customers.items():  # what each folder says about itself
        for name in ("case.json", "history.jsonl", "manifest.sha256"):
            path = case_folder(archive, case_id, customer) / name
            assert path.is_file(), f"{path} is missing"
            recorded[path] = sha256(path)
    derived = {
        archive / "index.html",
        archive / "group.html",  # the group's index, on a registry sites share
        *(archive / "Auditor pages").rglob("*"),
    }  # auditor pages
    in_archive = {p for p in archive.rglob("*") if p.is_file() and p not in derived}
    assert in_archive == set(recorded), (
        f"files in the Archive the registry does not know: {sorted(in_archive - set(recorded))}"
    )
    # An issued form is at the top of its outbox while owed, in Done/ beside it once not:
    # in exactly one of the two. The To do pages are derived.
    in_outbox = [
        str(p.relative_to(root)).replace("/Done/", "/")
        for p in (root / "Outbox").rglob("*")
        if p.is_file() and p.name != "To do.html"
    ]
    assert set(in_outbox) == issued, (
        f"Outbox and registry disagree: {sorted(set(in_outbox) ^ issued)}"
    )
    assert len(in_outbox) == len(set(in_outbox)), "an issued form both owed and done"
    quarantined: list[Path] = []
    for place in (root / "Quarantine", root / "Quarantine" / "Settled"):
        here = [p for p in place.glob("*") if p.is_file()]
        files = [p for p in here if not p.name.endswith(" - what to fix.txt")]
        notes = {p.name for p in here if p.name.endswith(" - what to fix.txt")}
        assert notes == {f"{p.name} - what to fix.txt" for p in files}, (
            "every quarantined file has exactly one note, and every note its file"
        )
        quarantined += files
    left = [p for p in (root / "Inbox").rglob("*") if p.is_file()]
    assert not left, f"still in the Inbox: {left}"
    # A running service drops a carried-out plan's row with its next commit: rows may
    # remain, but only of plans with nothing left to do.
    for (text,) in pending:
        plan = json.loads(text)
        undone = [s for s, _, _ in plan["moves"] if (root / s).exists()]
        undone += [p for p, digest in plan["removals"] if (root / p).is_file()]
        assert not undone, f"the journal holds a plan not carried out: {undone}"
    staging = root / ".closedloop" / "staging"
    assert not staging.exists() or not any(staging.iterdir()), "staged files left behind"
    parts = list(root.rglob("*.part"))
    assert not parts, f"temporary files left behind: {parts}"

    places: dict[str, list[str]] = {digest: [] for _, digest in saved}
    for path, digest in recorded.items():
        if digest in places:
            places[digest].append(str(path.relative_to(root)))
    for path in quarantined:
        digest = sha256(path)
        assert digest in places, f"{path} was never saved into the Inbox"
        places[digest].append(str(path.relative_to(root)))
    for digest, where in places.items():
        times = [name for name, d in saved if d == digest]
        # Each saving ends in exactly one place: filed, or quarantined (a second copy of
        # the same bytes is refused as a duplicate).
        assert len(where) == len(times), f"{times} saved, found in {where}"
