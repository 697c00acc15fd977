"""Several sites on one PostgreSQL registry: two shared folders, each under its own real
`closedloop watch`, filing a backlog at the same moment; beside them, in the same run, one
folder on its own SQLite registry filing the same backlog alone.

- throughput: N registrations in each Inbox when the services start; forms per second
  from start until the last next form is in its outbox (per site, and both together);
- latency: with both services idle, from a file's last write to its next form in the
  outbox, saves alternating between the sites.

    python bench/bench_sites.py [--backlog 500] [--saves 10] [--url postgresql://...]

Without --url a throw-away PostgreSQL cluster is started on loopback (tests/postgres.py:
initdb in a temporary folder, fsync on), as the tests do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_watch import laid_out, peak_rss_mb, registrations, wait_for, watch


def shared(root: Path, url: str, site: str) -> Path:
    """A folder laid out as init does, on the shared registry as `site`; its CAPA outbox."""
    _, outbox = laid_out(root, "en")
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('url = ""\nsite = ""', f'url = "{url}"\nsite = "{site}"'), encoding="utf-8"
    )
    return outbox


def fill_inbox(root: Path, files: list[bytes]) -> None:
    inbox = root / "Inbox"
    for i, data in enumerate(files):
        (inbox / f"complaint {i:06d}.docx").write_bytes(data)
    old = time.time() - 60  # saved a while ago: nothing waits on the stability window
    for p in inbox.iterdir():
        os.utime(p, (old, old))


def backlog(roots: dict[str, tuple[Path, Path]], n: int, window: float) -> dict[str, float]:
    """Every folder's service started at once; forms/s per folder, and 'all'."""
    started = time.perf_counter()
    procs = {name: watch(root, window, None) for name, (root, _) in roots.items()}
    done: dict[str, float] = {}
    rss: dict[str, float] = {}
    try:
        while len(done) < len(roots):
            for name, (root, outbox) in roots.items():
                if name in done:
                    continue
                if procs[name].poll() is not None:
                    raise SystemExit(f"{name}: the service stopped ({procs[name].returncode})")
                if sum(1 for _ in outbox.glob("*.docx")) >= n and not any(
                    (root / "Inbox").iterdir()
                ):
                    done[name] = time.perf_counter()
                    rss[name] = peak_rss_mb(procs[name].pid)
            time.sleep(0.05)
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait()
    rates = {name: n / (at - started) for name, at in done.items()}
    rates["all"] = n * len(roots) / (max(done.values()) - started)
    for name in roots:
        rates[f"{name} MB"] = rss[name]
    return rates


def latency(roots: dict[str, tuple[Path, Path]], saves: int, window: float) -> list[float]:
    procs = {name: watch(root, window, None) for name, (root, _) in roots.items()}
    seconds: list[float] = []
    try:
        for name, (root, _) in roots.items():
            log = root / ".closedloop" / "watch.log"
            wait_for(lambda log=log: log.exists() and "watching" in log.read_text(), procs[name])
        names = list(roots)
        files = registrations(saves, start=700_000)
        for i, data in enumerate(files):
            name = names[i % len(names)]
            root, outbox = roots[name]
            before = sum(1 for _ in outbox.glob("*.docx"))
            path = root / "Inbox" / f"save {i:03d}.docx"
            with path.open("wb") as fh:  # as an office suite saves: written in place
                fh.write(data)
            written = time.perf_counter()
            issued = wait_for(
                lambda o=outbox, b=before: sum(1 for _ in o.glob("*.docx")) > b, procs[name]
            )
            seconds.append(issued - written)
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a throw-away one)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-sites-"))
    cluster = None
    try:
        url = args.url
        if url is None:
            from tests.postgres import Cluster

            cluster = Cluster()
            url = cluster.create_database("bench")
        n = args.backlog
        alone = base / "sqlite"
        outbox = laid_out(alone, "en")[1]
        fill_inbox(alone, registrations(n))
        single = backlog({"sqlite": (alone, outbox)}, n, args.window)
        print(
            f"one site, SQLite: backlog of {n} .docx: {single['sqlite']:.0f} forms/s, "
            f"peak memory {single['sqlite MB']:.0f} MB"
        )
        sites = {}
        for k, code in enumerate(("SZ", "WX")):
            root = base / code
            sites[code] = (root, shared(root, url, code))
            # Each site's customers its own (the same bytes at two sites would be one file).
            fill_inbox(root, registrations(n, start=(k + 1) * 100_000))
        both = backlog(sites, n, args.window)
        print(
            f"two sites at once, one PostgreSQL: backlog of {n} .docx each: "
            f"SZ {both['SZ']:.0f} forms/s, WX {both['WX']:.0f} forms/s, "
            f"together {both['all']:.0f} forms/s; peak memory "
            f"{both['SZ MB']:.0f} and {both['WX MB']:.0f} MB, on {os.cpu_count()} CPUs"
        )
        seconds = latency(sites, args.saves, args.window)
        print(
            f"latency over {args.saves} saves, alternating sites: median "
            f"{statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
            f"(window {args.window:g} s)"
        )
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
