"""A filing's time on a slow disk, against the floor of its durable writes (#16).

A slow disk is made by `strace` (6.x): every fsync, fdatasync and syncfs of the command
is held `--delay` ms on its way out (`-e inject=...:delay_exit=`), as a busy disk or a
share holds a flush (4 ms in #16's report). Both runs go through strace, with and without
the delay, so that its cost is the same on each side.

For a backlog of `--backlog` registrations and for a lone one, each in a one-shot
`closedloop ingest` less an ingest of an empty Inbox (start-up), it prints a filing's
time with free flushes, with slow ones, and the floor: the time with free flushes plus
the flushes durability cannot do without, held as long. Those are three a batch (its
staged files, the registry's commit, the folders that took the files after it), the
batch being 16 Inbox entries in a backlog and one for a lone file.

    python bench/bench_flush_floor.py [--backlog 160] [--delay 4]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_watch import registrations

BATCH = 16  # app/application.py files a backlog in batches of this many
NEEDED = 3  # flushes a batch cannot do without: staged files, commit, folders
NOW = "2026-11-20T10:00"


def ingest_seconds(root: Path, delay_ms: float) -> float:
    calls = "fsync,fdatasync,syncfs"
    command = [
        "strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null",
        "-e", f"trace={calls}",
        "-e", f"inject={calls}:delay_exit={int(delay_ms * 1000)}",
        "closedloop", "ingest", str(root), "--now", NOW,
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def per_filing(base: Path, count: int, delay_ms: float, rounds: int = 3) -> float:
    """A filing's time in ms in a one-shot ingest of `count`, the best of `rounds`."""
    best = float("inf")
    for r in range(rounds):
        root = base / f"floor-{count}-{delay_ms}-{r}"
        subprocess.run(["closedloop", "init", str(root)], check=True, capture_output=True)
        ingest_seconds(root, 0)  # the registry made, the blanks written: not a filing's
        empty = ingest_seconds(root, delay_ms)
        for i, data in enumerate(registrations(count, start=900_000 + 1000 * r)):
            (root / "Inbox" / f"complaint {i:06d}.docx").write_bytes(data)
        full = ingest_seconds(root, delay_ms)
        best = min(best, (full - empty) / count * 1000)
        shutil.rmtree(root)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=160)
    parser.add_argument("--delay", type=float, default=4.0, help="ms a flush is held")
    args = parser.parse_args()
    if not shutil.which("strace"):
        sys.exit("strace is needed (apt-get install strace)")
    base = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        print(f"{'':<12}{'free flushes':>14}{'slow flushes':>14}{'floor':>10}{'ratio':>8}")
        for name, count, batch in (("backlog", args.backlog, BATCH), ("lone file", 1, 1)):
            free = per_filing(base, count, 0)
            slow = per_filing(base, count, args.delay)
            floor = free + NEEDED * args.delay / batch
            print(
                f"{name:<12}{free:>11.1f} ms{slow:>11.1f} ms{floor:>7.1f} ms{slow / floor:>7.2f}x"
            )
        print(f"a flush held {args.delay:g} ms; a filing's time is its share of the ingest")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
