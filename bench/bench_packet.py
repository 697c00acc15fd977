"""The closure packet with and without the resident office (`closedloop office`), in one run.

A case played to closure through the Inbox (a registration and a CAPA in Word, the
customer's survey in Excel), then, each as a real process, timed by the wall clock:

- one bare `soffice --convert-to pdf` of one of its forms (a warm profile): the yardstick;
- `closedloop packet ROOT CASE --out PDF` with no office running (a fresh LibreOffice
  renders the three forms), before the office is started and again after it is stopped;
- the same with `closedloop office ROOT` running. Target: under half the yardstick;
- the Renderer alone (the forms to PDF, in this process), fresh and through the office;
- the whole packet built in this process once its modules are loaded, as the service
  (`watch`) builds one when a case closes, fresh and through the office;
- the office's start, until its record says "running"; a Python start that imports the
  packet command (what `closedloop packet` pays before it asks the office), and one that
  imports every command's library (what it paid before the office built packets for it).

With --code DIR (a `git worktree` of the commit before), `closedloop packet` of that
checkout and of this one, office running, each `python -P -m closedloop` with PYTHONPATH
on its checkout, turn about in the same run.

Medians of --rounds runs (the first of each kind is left out: disk caches).

    python bench/bench_packet.py [--rounds 5] [--code DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.office_record import RECORD
from archive.packet import Renderer, build_packet
from filing.policy import Policy
from filing.registry import Registry
from forms.definition import get_form
from forms.writer import write_form

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 23, 9, 0)
CASE = "CC-2026-0001"


def closedloop(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=check)


def closed_case(root: Path, cases: int = 1) -> list[Path]:
    """`cases` cases filed to closure (CASE the first); the first one's filed forms."""
    closedloop("init", str(root))
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("closure_packets = true", "closure_packets = false").replace(
            "weekly = true", "weekly = false"
        ),
        encoding="utf-8",
    )
    steps = [
        (
            "registration",
            "docx",
            None,
            {
                "complaint_date": DAY,
                "customer": "浙江客户 ACME",
                "product": "W-200",
                "goods_received_date": DAY,
                "category": "transport_damage",
                "description": "Glass cracked in 3 of 10 units",
                "customer_requirement": ["explanation"],
                "established": True,
            },
        ),
        (
            "capa",
            "docx",
            CASE,
            {
                "root_cause": "Buffer foam too thin",
                "actions": [{"action": "Thicker foam", "owner": "Li", "due": DAY, "done": DAY}],
                "verification": "Drop test passed",
                "plan_approved_by": "Zhao",
                "plan_approved_date": DAY,
                "deduction_amount": 1200,
                "working_hours": 6,
            },
        ),
        ("satisfaction_survey", "xlsx", CASE, {"customer_accepts": True}),
    ]
    for n, (form_id, fmt, case_id, values) in enumerate(steps):
        for k in range(cases):  # a step of every case in one ingest
            number = None if case_id is None else f"CC-2026-{k + 1:04d}"
            inbox = root / "Inbox" / f"{k} {n} {form_id}.{fmt}"
            if form_id == "registration" and k:  # the same complaint twice is refused
                values = {**values, "customer": f"{values['customer']} {k}"}  # type: ignore[dict-item]
            write_form(get_form(form_id), fmt, inbox, values, number)  # type: ignore[arg-type]
        run = closedloop("ingest", str(root), "--json", "--now", f"2026-11-2{n}T10:00")
        outcomes = [json.loads(line)["outcome"] for line in run.stdout.splitlines()]
        assert outcomes == ["filed"] * cases, run.stdout
    [folder] = [p for p in (root / "Archive").iterdir() if p.name.startswith(CASE)]
    return sorted(p for p in folder.iterdir() if p.suffix in (".docx", ".xlsx"))


def timed(action: object, rounds: int) -> list[float]:
    """Wall times of `rounds` calls of `action`, after one left out."""
    assert callable(action)
    times = []
    for n in range(rounds + 1):
        start = time.perf_counter()
        action()
        if n:
            times.append(time.perf_counter() - start)
    return times


def line(label: str, times: list[float], yardstick: float | None = None) -> str:
    med = statistics.median(times)
    versus = f"  {med / yardstick:.2f}x the bare soffice" if yardstick else ""
    return f"{label:<46} median {med:6.2f} s  (min {min(times):.2f}, max {max(times):.2f}){versus}"


def ab(root: Path, out: Path, code: Path, rounds: int, yardstick: float) -> list[str]:
    """`closedloop packet --out` of `code` and of this checkout, turn about."""
    here = Path(__file__).resolve().parent.parent
    times: dict[Path, list[float]] = {code: [], here: []}
    for n in range(rounds + 1):
        for checkout in times:
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "closedloop",
                    "packet",
                    str(root),
                    CASE,
                    "--out",
                    str(out),
                ],
                capture_output=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(checkout)},
            )
            if n:
                times[checkout].append(time.perf_counter() - start)
    return [
        line(f"A/B {name}: packet, office running", times[checkout], yardstick)
        for name, checkout in (("before", code), ("this", here))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--code", type=Path, help="a checkout to compare with (see above)")
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed"
    base = Path(tempfile.mkdtemp(prefix="bench-packet-"))
    office: subprocess.Popen[bytes] | None = None
    try:
        root = base / "share"
        forms = closed_case(root, cases=args.rounds + 2)
        out = base / "packet.pdf"
        profile = base / "bare-profile"
        docx = next(f for f in forms if f.suffix == ".docx")

        def bare() -> None:
            subprocess.run(
                [
                    *(soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless"),
                    *("--norestore", "--convert-to", "pdf", "--outdir", str(base / "bare")),
                    str(docx),
                ],
                capture_output=True,
                check=True,
                env={**os.environ, "HOME": str(profile)},
            )

        def packet() -> None:
            closedloop("packet", str(root), CASE, "--out", str(out))

        renderer = Renderer(root / ".closedloop" / "libreoffice")

        def render(use: bool) -> None:
            renderer.use_office = use
            renderer.to_pdf(forms, base / f"render-{use}")
            assert renderer.used == ("office" if use else "soffice"), renderer.used

        def build(use: bool) -> None:
            renderer.use_office = use
            with Registry(root / ".closedloop" / "registry.sqlite") as registry:
                build_packet(
                    root / "Archive", registry, Policy(), CASE, renderer, NOW, currency="CNY"
                )
            assert renderer.used == ("office" if use else "soffice"), renderer.used

        yard = timed(bare, args.rounds)
        yardstick = statistics.median(yard)
        results = [line("bare soffice --convert-to pdf, one .docx", yard)]

        def add(label: str, action: object) -> None:
            results.append(line(label, timed(action, args.rounds), yardstick))

        add(
            "python: import the packet command",
            lambda: subprocess.run(
                [sys.executable, "-c", "import closedloop.cli.packet"], check=True
            ),
        )
        every = "from closedloop.cli import cli; cli.every_command()"
        add(
            "python: import every command",
            lambda: subprocess.run([sys.executable, "-c", every], check=True),
        )
        add("closedloop packet, no office (before)", packet)
        add("Renderer.to_pdf of the 3 forms, fresh soffice", lambda: render(False))
        add("build_packet in a warm process, fresh soffice", lambda: build(False))

        record = root / ".closedloop" / RECORD
        start = time.perf_counter()
        exe = Path(sys.executable).with_name("closedloop")
        office = subprocess.Popen([str(exe), "office", str(root)], stderr=subprocess.DEVNULL)
        while not (record.exists() and json.loads(record.read_text())["state"] == "running"):
            assert office.poll() is None, "closedloop office ended"
            time.sleep(0.05)
        up = time.perf_counter() - start
        results.append(f"{'closedloop office: started until running':<46} {up:6.2f} s")
        add("Renderer.to_pdf of the 3 forms, office", lambda: render(True))
        add("build_packet in a warm process, office", lambda: build(True))
        add("closedloop packet, office running", packet)
        # Into the case folder: a case that has none yet each time (as at its closing; a
        # packet filed again adds to the timeline its next cover shows).
        fresh = iter(f"CC-2026-{k:04d}" for k in range(2, args.rounds + 3))
        add(
            "closedloop packet into its folder, office running",
            lambda: closedloop("packet", str(root), next(fresh)),
        )
        if args.code is not None:
            results += ab(root, out, args.code.resolve(), args.rounds, yardstick)
        office.send_signal(signal.SIGTERM)
        assert office.wait(60) == 0
        office = None
        add("closedloop packet, no office (after)", packet)
        print(
            f"closure packet of {len(forms)} forms ({', '.join(f.suffix for f in forms)}), "
            f"{args.rounds} rounds, {os.cpu_count()} CPUs"
        )
        print("\n".join(results))
    finally:
        if office is not None:
            office.kill()
            office.wait()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
