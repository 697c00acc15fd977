"""The service end to end: `closedloop watch` as a real process on a real folder.

- throughput: a backlog of N registrations (each a new case whose next form is issued)
  already in the Inbox when the service starts; forms per second from start until the
  last next form is in its outbox and the Inbox is empty (target 100/s on 2 cores);
- memory: the service's peak resident size over that burst (VmHWM);
- latency: with the service idle, from a file's last write to its next form in the
  outbox (target: the stability window + 0.5 s), over a number of single saves;
- flushes: the calls that wait for the disk (fsync, fdatasync, syncfs, sync_file_range),
  counted with strace over a one-shot `ingest` of a backlog and of a lone file (less an
  ingest of an empty Inbox: what the filing itself costs). Target: at most 2 a filing in
  a backlog, at most 8 for a lone file.

    python bench/bench_watch.py [--backlog 1000] [--saves 20] [--window 2.0] [--poll SECONDS]
                                [--code DIR]

--code runs the service from another checkout (a `git worktree` of the commit before:
A/B in one run, as this machine's speed drifts).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.folder import SharedFolder, init
from app.settings import read_settings, settings_template
from forms.definition import get_form
from forms.writer import render_form

COMPANY = "Bench Co."
VALUES = {
    "complaint_date": date(2026, 11, 20),
    "customer": "CUSTOMER-XXXXXX",
    "product": "PRODUCT-XXXXXX",
    "goods_received_date": date(2026, 11, 2),
    "category": "transport_damage",
    "description": "Glass cracked in 3 of 10 units",
    "customer_requirement": ["explanation"],
    "registered_by": "Mei",
    "established": True,
    "decided_by": "Zhao",
}


def registrations(n: int, start: int = 0, fmt: str = "docx", language: str = "en") -> list[bytes]:
    """n filled registrations, each for its own customer: one written by closedloop (in
    `language`), the customer's name then changed in the XML, as a person typing it would."""
    form = get_form("registration")
    template = render_form(form, fmt, VALUES, None, COMPANY, language=language)  # type: ignore[arg-type]
    main = "word/document.xml" if fmt == "docx" else "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    out = []
    for i in range(start, start + n):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                if info.filename == main:
                    data = data.replace(b"CUSTOMER-XXXXXX", f"Customer {i:06d}".encode())
                    # 40 products: some complaints repeat others, as in a real quarter
                    data = data.replace(b"PRODUCT-XXXXXX", f"W-{200 + i % 40}".encode())
                z.writestr(info, data)
        out.append(buf.getvalue())
    return out


CODE: Path | None = None  # --code: the checkout the service runs from


def command() -> tuple[list[str], dict[str, str]]:
    """How to run closedloop: the installed one, or the checkout --code names."""
    if CODE is not None:
        # -P: the folder the bench is run from is not put before PYTHONPATH (run from a
        # checkout, `-m closedloop` would import that checkout, not CODE).
        return [sys.executable, "-P", "-m", "closedloop"], {**os.environ, "PYTHONPATH": str(CODE)}
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    return cmd, dict(os.environ)


def watch(root: Path, window: float, poll: float | None) -> subprocess.Popen[bytes]:
    cmd, env = command()
    args = [*cmd, "watch", str(root), "--window", str(window)]
    if poll:
        args += ["--poll", str(poll)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


FLUSHES = "fsync,fdatasync,syncfs,sync_file_range"


def flush_calls(root: Path) -> int:
    """The calls that wait for the disk in one `closedloop ingest ROOT`, every process and
    thread of it counted (strace -f -c)."""
    cmd, env = command()
    out = root.parent / f"{root.name}.strace"
    subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-c",
            "-o",
            str(out),
            "-e",
            f"trace={FLUSHES}",
            *cmd,
            "ingest",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    for line in out.read_text().splitlines():
        if line.strip().endswith("total"):
            return int(line.split()[3])
    return 0


def flushes(base: Path, n: int, language: str) -> tuple[float, float, list[int]]:
    """Flush calls a filing in a backlog of n and a lone filing, each in a one-shot ingest
    (less an ingest of an empty Inbox), and each of a few single saves into a running
    service (what it flushed from the save until its next form is out, and a moment more
    for the after-effects)."""
    per: list[float] = []
    for count in (n, 1):
        root = base / f"flushes-{count}"
        folder, _outbox = laid_out(root, language)
        flush_calls(root)  # the registry made, the blanks written: not a filing's cost
        empty = flush_calls(root)
        for i, data in enumerate(registrations(count, start=700_000, language=language)):
            (folder.inbox / f"complaint {i:06d}.docx").write_bytes(data)
        per.append((flush_calls(root) - empty) / count)
    return per[0], per[1], service_flushes(base, language)


def service_flushes(base: Path, language: str, saves: int = 3) -> list[int]:
    root = base / "flushes-service"
    folder, outbox = laid_out(root, language)
    cmd, env = command()
    out = base / "service.strace"
    proc = subprocess.Popen(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            str(out),
            "-e",
            f"trace={FLUSHES}",
            *cmd,
            "watch",
            str(root),
            "--window",
            "0.5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )

    def calls() -> int:  # a call split by another thread's shows twice: counted once
        names = tuple(f"{name}(" for name in FLUSHES.split(","))
        lines = out.read_text().splitlines()
        return sum(1 for line in lines if any(n in line for n in names) and "resumed>" not in line)

    counts = []
    try:
        log = root / ".closedloop" / "watch.log"
        wait_for(
            lambda: (
                log.exists() and ("watching" in log.read_text() or "正在监视" in log.read_text())
            ),
            proc,
            step=0.05,
        )
        time.sleep(2.0)  # the start's after-effects done
        for i, data in enumerate(registrations(saves, start=800_000, language=language)):
            before = calls()
            issued = sum(1 for _ in outbox.glob("*.docx"))
            (folder.inbox / f"save {i}.docx").write_bytes(data)
            wait_for(lambda b=issued: sum(1 for _ in outbox.glob("*.docx")) > b, proc)
            time.sleep(1.0)
            counts.append(calls() - before)
    finally:
        # The service is strace's child: stopped as a service is (strace then ends).
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        for pid in children.read_text().split() if children.exists() else []:
            os.kill(int(pid), signal.SIGTERM)
        proc.wait()
    return counts


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def laid_out(root: Path, language: str) -> tuple[SharedFolder, Path]:
    """A shared folder laid out as `closedloop init --language` does, and the outbox the
    registrations' CAPA reports go to (Storage & Transportation, 储运部)."""
    text = settings_template(language)
    settings = read_settings(root / "closedloop.toml", text)
    init(root, settings.policy, COMPANY, text, settings.languages)
    folder = SharedFolder(root, settings.policy.folders)
    return folder, folder.outbox / settings.policy.outboxes["storage_transportation"]


def wait_for(condition, proc, timeout: float = 600.0, step: float = 0.005) -> float:  # type: ignore[no-untyped-def]
    """Poll until `condition`; stop at once when the service `proc` has died (it is not
    installed, or it refused the folder) instead of waiting out the timeout."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if proc.poll() is not None:
            raise SystemExit(f"the service stopped (exit code {proc.returncode})")
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        time.sleep(step)
    return time.perf_counter()


def backlog(
    base: Path, n: int, window: float, poll: float | None, fmt: str, language: str
) -> tuple[float, float]:
    root = base / f"backlog-{fmt}"
    folder, outbox = laid_out(root, language)
    for i, data in enumerate(registrations(n, fmt=fmt, language=language)):
        (folder.inbox / f"complaint {i:06d}.{fmt}").write_bytes(data)
    old = time.time() - 60  # saved a while ago: nothing waits on the stability window
    for p in folder.inbox.iterdir():
        os.utime(p, (old, old))
    started = time.perf_counter()
    proc = watch(root, window, poll)
    try:
        done = wait_for(
            lambda: (
                sum(1 for _ in outbox.glob(f"*.{fmt}")) >= n and not any(folder.inbox.iterdir())
            ),
            proc,
            step=0.05,
        )
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    return n / (done - started), rss


def latency(
    base: Path, saves: int, window: float, poll: float | None, language: str
) -> list[float]:
    root = base / "latency"
    folder, outbox = laid_out(root, language)
    files = registrations(saves, start=500_000, language=language)
    proc = watch(root, window, poll)
    seconds = []
    try:
        log = root / ".closedloop" / "watch.log"
        started = ("watching", "正在监视")  # the log speaks the folder's language
        wait_for(
            lambda: log.exists() and any(w in log.read_text() for w in started), proc, step=0.05
        )
        for i, data in enumerate(files):
            before = sum(1 for _ in outbox.glob("*.docx"))
            path = folder.inbox / f"save {i:03d}.docx"
            with path.open("wb") as fh:  # as an office suite saves: written in place
                fh.write(data)
            written = time.perf_counter()
            issued = wait_for(lambda b=before: sum(1 for _ in outbox.glob("*.docx")) > b, proc)
            seconds.append(issued - written)
    finally:
        proc.terminate()
        proc.wait()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--poll", type=float, default=None)
    parser.add_argument("--language", default="en", help="the folder's language: en, zh-CN")
    parser.add_argument("--code", type=Path, default=None, help="run closedloop from this checkout")
    parser.add_argument("--flush-backlog", type=int, default=100)
    args = parser.parse_args()
    global CODE
    CODE = args.code.resolve() if args.code else None
    base = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    try:
        if shutil.which("strace"):
            backlog_calls, lone_calls, service = flushes(base, args.flush_backlog, args.language)
            print(
                f"flushes: {backlog_calls:.2f} a filing in a backlog of {args.flush_backlog} "
                f"(target 2); a lone file {lone_calls:.0f} in a one-shot ingest, "
                f"{', '.join(map(str, service))} in the running service (target 8)"
            )
        for fmt in ("docx", "xlsx"):
            rate, rss = backlog(base, args.backlog, args.window, args.poll, fmt, args.language)
            print(
                f"backlog of {args.backlog} .{fmt}: {rate:.0f} forms/s (target 100), "
                f"peak memory {rss:.0f} MB, on {os.cpu_count()} CPUs"
            )
        seconds = latency(base, args.saves, args.window, args.poll, args.language)
        target = args.window + 0.5
        print(
            f"latency over {args.saves} saves: median {statistics.median(seconds):.2f} s, "
            f"max {max(seconds):.2f} s (target {target:.1f} s: window {args.window:g} + 0.5)"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
