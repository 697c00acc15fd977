"""What the commands cost at 100 cases and at many, side by side (#16).

A folder of N cases is laid out by `init`, and its cases are made straight in the
registry, each with an opening event on the chain and an empty case folder named as
closedloop names it. This is faster than filing N forms through the Inbox, and it is not
the same: the case folders hold no documents, case.json, history or manifest, so `verify`
and `rebuild` are not measured here (bench_archive.py measures verify's reading).
Then, each as its own process, as an administrator or the Windows task runs them:

- `ingest` of an empty Inbox: the cost of every start (the task runs it every two minutes);
- `cases --json`: the whole register listed;
- `report weekly`: the week's report (the figures still read every case);
- `index`: every auditor page written anew.

    python bench/bench_scale.py [--cases 20000] [--small 100]

Run it on a tmpfs (TMPDIR=/dev/shm) to see the work rather than the disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.casefolder import case_folder
from filing.records import Case, Event
from filing.registry import Registry

START = datetime(2026, 1, 5, 9, 0)
NOW = "2026-12-01T09:00"


def folder_of(base: Path, cases: int) -> Path:
    root = base / f"cases-{cases}"
    subprocess.run(["closedloop", "init", str(root)], check=True, capture_output=True)
    text = (root / "closedloop.toml").read_text(encoding="utf-8")
    text = text.replace("closure_packets = true", "closure_packets = false")
    (root / "closedloop.toml").write_text(text.replace("weekly = true", "weekly = false"))
    archive = root / "Archive"
    with Registry(root / ".closedloop" / "registry.sqlite") as registry, registry.transaction():
        for i in range(cases):
            opened = START + timedelta(minutes=5 * i)
            case = Case(registry.next_case_id(opened.year), "awaiting_triage", opened, opened)
            case.customer = f"Customer {i % 900}"
            case.product = f"W-{200 + i % 60}"
            case.category = "transport_damage"
            registry.save_case(case)
            event = Event(case.case_id, opened, "registered", "registration", None, None, "")
            registry.append_history(event)
            case_folder(archive, case.case_id, case.customer, new=True).mkdir()
    return root


def seconds(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(["closedloop", *args], check=False, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=100)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        rows: dict[str, list[float]] = {}
        for n in (args.small, args.cases):
            root = folder_of(base, n)
            seconds("index", str(root), "--now", NOW)  # the pages once, as a folder has them
            for name, command in (
                ("ingest, empty Inbox", ["ingest", str(root), "--now", NOW]),
                ("ingest again (nothing new)", ["ingest", str(root), "--now", NOW]),
                ("cases --json", ["cases", str(root), "--json", "--now", NOW]),
                ("report weekly", ["report", "weekly", str(root), "--now", NOW]),
                ("index (every page anew)", ["index", str(root), "--now", NOW]),
            ):
                rows.setdefault(name, []).append(seconds(*command))
            shutil.rmtree(root)
        print(f"{'command':<28}{args.small:>10} cases{args.cases:>10} cases")
        for name, (small, large) in rows.items():
            print(f"{name:<28}{small:>14.2f} s{large:>14.2f} s")
        print(f"on {os.cpu_count()} CPUs, under {base.parent}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
