"""What the commands cost at 100 cases and at many, side by side (#16).

A folder of N cases over ten years is made by scale_folder.py: the first hundred filed by
the real `ingest`, the rest copies of them made straight in the registry and the archive
with the code a filing uses (its docstring says what a copy lacks). Then, each as its own
process, as an administrator or the Windows task runs them:

- `ingest` of an empty Inbox: the cost of every start (the task runs it every two minutes);
- `cases --json`: the whole register listed;
- `report weekly`: the week's report;
- `index`: the auditor's pages brought up to date, and with `--all` every page anew;
- `verify`: every case folder's files, manifests and history chains read and checked;
- `rebuild`: the registry made again from the archive alone;
- the auditor's index in Chromium (browser_index.py): its first screen and each keystroke.

    python bench/bench_scale.py [--cases 100000] [--small 100]

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.browser_index import index_timings
from bench.scale_folder import NOW, folder_of


def seconds(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(["closedloop", *args], check=False, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
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
                ("index (what changed)", ["index", str(root), "--now", NOW]),
                ("index --all (every page)", ["index", str(root), "--all", "--now", NOW]),
                ("verify", ["verify", str(root)]),
                ("rebuild", ["rebuild", str(root), "--now", NOW]),
            ):
                rows.setdefault(name, []).append(seconds(*command))
            for name, ms in index_timings(root / "Archive" / "index.html").items():
                rows.setdefault(name, []).append(ms / 1000)
            shutil.rmtree(root)
        print(f"{'command':<28}{args.small:>10} cases{args.cases:>10} cases")
        for name, (small, large) in rows.items():
            if name.startswith(("index in browser", "floor")):  # timed in the page, in ms
                print(f"{name:<40}{small * 1000:>6.0f} ms{large * 1000:>11.0f} ms")
            else:
                print(f"{name:<28}{small:>14.2f} s{large:>14.2f} s")
        print(f"on {os.cpu_count()} CPUs, under {base.parent}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
