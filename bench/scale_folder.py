"""A folder of many cases for bench_scale.py, ten years of them, made in minutes.

Filing 100,000 forms through the Inbox would take about an hour (35-40 forms/s), so the
folder is made in two steps, and says so:

1. `TEMPLATES` registrations (real .docx written by closedloop, each for its own customer)
   are filed by the real `closedloop ingest`: case folders, registry, issued next forms,
   everything as a site has it.
2. The other cases are copies of those, made straight in the registry with the same code
   the filing uses for its records: the case (new number, its own times over ten years;
   most closed, those of the last months open), its registration filing and its opening
   event on the archive's chain; then its case folder with the same original document,
   and case.json, history and manifest written by archive/casefile.py from the registry,
   as a filing writes them. What a copy lacks beside a real filing: the issued next form
   (its copy in the folder, its outbox file), and the closing forms of a closed case (its
   record says closed, as rebuild and verify read it).

So `verify` and `rebuild` have real folders to read, of the same files and sizes.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from archive.casefile import case_files
from archive.casefolder import case_folder
from bench.bench_watch import registrations
from filing.registry import Registry
from filing.states import CaseState, Resolution

TEMPLATES = 100
FIRST = datetime(2016, 12, 1, 9, 0)  # ten years before NOW
NOW = "2026-12-01T09:00"
OPEN_DAYS = 120  # cases opened in the last four months are still open


def folder_of(base: Path, cases: int) -> Path:
    root = base / f"cases-{cases}"
    subprocess.run(["closedloop", "init", str(root)], check=True, capture_output=True)
    text = (root / "closedloop.toml").read_text(encoding="utf-8")
    text = text.replace("closure_packets = true", "closure_packets = false")
    (root / "closedloop.toml").write_text(text.replace("weekly = true", "weekly = false"))
    templates = min(TEMPLATES, cases)
    inbox = root / "Inbox"
    for i, data in enumerate(registrations(templates)):
        (inbox / f"registration-{i:06d}.docx").write_bytes(data)
    subprocess.run(
        ["closedloop", "ingest", str(root), "--now", NOW], check=True, capture_output=True
    )
    if cases > templates:
        _copies(root, cases - templates, templates)
    return root


def _copies(root: Path, count: int, templates: int) -> None:
    archive = root / "Archive"
    now = datetime.fromisoformat(NOW)
    step = (now - timedelta(days=1) - FIRST) / count
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        models = registry.cases()[:templates]
        originals = {m.case_id: registry.filings(m.case_id)[0] for m in models}
        events = {m.case_id: registry.history(m.case_id) for m in models}
        folders = {m.case_id: case_folder(archive, m.case_id, m.customer) for m in models}
        for start in range(0, count, 1000):  # a transaction a thousand cases
            with registry.transaction():
                for i in range(start, min(count, start + 1000)):
                    model = models[i % templates]
                    opened = FIRST + step * i
                    case_id = registry.next_case_id(opened.year)
                    closed = (
                        opened + timedelta(days=21)
                        if now - opened > timedelta(days=OPEN_DAYS)
                        else None
                    )
                    case = dataclasses.replace(
                        model,
                        case_id=case_id,
                        opened_at=opened,
                        received_at=opened,
                        state=CaseState.CLOSED if closed else model.state,
                        resolution=Resolution.NOT_ESTABLISHED if closed else model.resolution,
                        closed_at=closed,
                        repeats=[],
                        repeats_total=0,
                    )
                    registry.save_case(case)
                    original = originals[model.case_id]
                    registry.add_filing(
                        dataclasses.replace(original, case_id=case_id, filed_at=opened)
                    )
                    for event in events[model.case_id]:  # the template's, at this case's time
                        moved = opened + (event.at - model.opened_at)
                        registry.append_history(
                            dataclasses.replace(event, case_id=case_id, at=moved)
                        )
                    folder = case_folder(archive, case_id, case.customer, new=True)
                    folder.mkdir()
                    shutil.copyfile(folders[model.case_id] / original.file, folder / original.file)
                    for name, data in case_files(registry, case_id).items():
                        (folder / name).write_bytes(data)
