"""The archive: how fast `verify` reads, and what one change costs the auditor pages.

- verify: case folders with realistic files (forms of 30-60 kB, a photo of 2 MB), checked
  by `verify_archive`, in MB/s, against plain SHA-256 of the same files (read and hash);
- auditor pages: a registry of N cases (10,000 by default) with their pages written once;
  then the time to bring the pages up to date after one case changed.

- closure packet: a case played to closure through the Inbox, its packet built (the
  forms rendered by LibreOffice), in seconds a document.

    python bench/bench_archive.py [--cases 10000] [--folders 300] [--no-packet]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.auditor import AuditorPages
from archive.casefile import manifest
from archive.casefolder import case_folder
from archive.verify import verify_archive
from filing.policy import Policy
from filing.registry import Case, Event, Registry
from reports.figures import Span
from reports.report import html_bytes, weekly_report, workbook_bytes

NOW = datetime(2026, 11, 20, 9, 0)


def make_folders(archive: Path, n: int) -> int:
    """n case folders, each: five forms, a photo, its manifest. Returns the bytes written."""
    total = 0
    rnd = os.urandom
    for i in range(1, n + 1):
        folder = archive / f"CC-2026-{i:04d} Customer {i}"
        (folder / "evidence").mkdir(parents=True)
        files = {f"0{k} form v1.docx": rnd(30_000 + 7_000 * k) for k in range(1, 6)}
        files["evidence/photo.jpg"] = rnd(2_000_000)
        hashes = {}
        for name, data in files.items():
            (folder / name).write_bytes(data)
            hashes[name] = hashlib.sha256(data).hexdigest()
            total += len(data)
        (folder / "manifest.sha256").write_bytes(manifest(hashes))
    return total


def plain_sha256(archive: Path) -> float:
    start = time.perf_counter()
    for path in archive.rglob("*"):
        if path.is_file() and path.name != "manifest.sha256":
            with path.open("rb") as fh:
                hashlib.file_digest(fh, "sha256")
    return time.perf_counter() - start


def bench_verify(base: Path, folders: int) -> None:
    archive = base / "verify" / "Archive"
    size = make_folders(archive, folders)
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        checks = list(verify_archive(archive))
        verify_s = time.perf_counter() - start
        plain_s = plain_sha256(archive)
        rounds.append((verify_s, plain_s))
        assert not any(c.findings for c in checks)
    verify_s = statistics.median(r[0] for r in rounds)
    plain_s = statistics.median(r[1] for r in rounds)
    mb = size / 1e6
    print(
        f"verify: {folders} case folders, {mb:.0f} MB: {mb / verify_s:.0f} MB/s; "
        f"plain SHA-256 of the same files {mb / plain_s:.0f} MB/s ({verify_s / plain_s:.2f}x)"
    )


def bench_pages(base: Path, cases: int) -> None:
    root = base / "pages"
    archive = root / "Archive"
    archive.mkdir(parents=True)
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        with registry.transaction():
            for i in range(1, cases + 1):
                opened = NOW + timedelta(minutes=i)
                case = Case(
                    f"CC-2026-{i:05d}" if cases >= 10_000 else f"CC-2026-{i:04d}",
                    "open",
                    opened,
                    opened,
                    customer=f"Customer {i % 700}",
                    product=f"W-{200 + i % 40}",
                    category="transport_damage",
                )
                registry.note_case_number(case.case_id)
                registry.save_case(case)
                registry.append_history(
                    Event(case.case_id, opened, "registered", None, None, None, "")
                )
                case_folder(archive, case.case_id, case.customer).mkdir()
        pages = AuditorPages(archive, registry, Policy())
        start = time.perf_counter()
        pages.rebuild_all(NOW)
        full = time.perf_counter() - start
        start = time.perf_counter()
        pages.refresh_stale(NOW)  # what every start (and the service's every look) costs
        caught_up = time.perf_counter() - start
        timings = []
        for k in range(20):
            case_id = registry.cases()[k * (cases // 20)].case_id
            start = time.perf_counter()
            pages.case_changed(case_id, NOW)
            timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        last = NOW + timedelta(minutes=cases)  # every case open, and listed, at the week's end
        later = last + timedelta(days=7)
        report = weekly_report(registry, Policy(), Span.week_of(last.date()), later, "Bench Co.")
        counted = time.perf_counter() - start
        start = time.perf_counter()
        workbook, page = workbook_bytes(report), html_bytes(report)
        laid_out = time.perf_counter() - start
    print(
        f"weekly report, {cases} cases ({report.main.open_at_end} open): figures "
        f"{counted:.1f} s, workbook and page {laid_out:.1f} s "
        f"({len(workbook) // 1024} KB + {len(page) // 1024} KB)"
    )
    print(
        f"auditor pages, {cases} cases: one changed case {statistics.median(timings) * 1000:.1f} ms "
        f"(median of 20; max {max(timings) * 1000:.1f} ms); all pages written anew {full:.1f} s; "
        f"brought up to the registry at a start with nothing changed {caught_up * 1000:.1f} ms"
    )


def bench_packet(base: Path) -> None:
    """A case played to closure (registration, CAPA, survey), then its packet built."""
    from app.application import ingest
    from app.folder import init
    from app.settings import ArchiveSettings, Settings, settings_template
    from archive.packet import Renderer, build_packet
    from forms.definition import get_form
    from forms.writer import write_form

    root = base / "packet"
    init(root, Policy(), "Bench Co.", settings_template())
    inbox = root / "Inbox"
    steps = [
        (
            "registration",
            None,
            {
                "complaint_date": NOW.date(),
                "customer": "浙江客户 ACME",
                "product": "W-200",
                "goods_received_date": NOW.date(),
                "category": "transport_damage",
                "description": "Glass cracked",
                "customer_requirement": ["explanation"],
                "established": True,
            },
        ),
        (
            "capa",
            "CC-2026-0001",
            {
                "root_cause": "Foam too thin",
                "actions": [
                    {"action": "Thicker foam", "owner": "Li", "due": NOW.date(), "done": NOW.date()}
                ],
                "verification": "Drop test passed",
                "plan_approved_by": "Zhao",
                "plan_approved_date": NOW.date(),
                "deduction_amount": 1200,
                "working_hours": 6,
            },
        ),
        ("satisfaction_survey", "CC-2026-0001", {"customer_accepts": True}),
    ]
    for n, (form_id, case_id, values) in enumerate(steps):
        write_form(get_form(form_id), "docx", inbox / f"{n} {form_id}.docx", values, case_id)
        quiet = Settings(
            company_name="Bench Co.",
            archive=ArchiveSettings(closure_packets=False),
            weekly_reports=False,
        )
        results = ingest(root, quiet, NOW + timedelta(days=n))
        assert [r.outcome for r in results] == ["filed"], results
    renderer = Renderer(root / ".closedloop" / "libreoffice")
    timings = []
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        for _ in range(3):
            start = time.perf_counter()
            build_packet(
                root / "Archive", registry, Policy(), "CC-2026-0001", renderer, NOW, currency="CNY"
            )
            timings.append(time.perf_counter() - start)
    best = min(timings)
    print(
        f"closure packet of 3 forms: {best:.1f} s ({best / 3:.1f} s a document, "
        f"LibreOffice start-up included; first build {timings[0]:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--folders", type=int, default=300)
    parser.add_argument("--no-packet", action="store_true", help="skip the packet (LibreOffice)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    try:
        bench_verify(base, args.folders)
        bench_pages(base, args.cases)
        if not args.no_packet:
            bench_packet(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
