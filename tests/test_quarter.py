"""The quarter close: closed cases sealed into `2026Q4 Customer Complaint Closed-Loop`,
with a summary workbook and a manifest, read-only; safe to run twice and after a crash."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from app.results import FileResult
from closedloop.cli import cli
from tests.scenario import Folder
from tests.settings import quiet_settings
from tests.test_archive import registry_rows
from tests.test_scenarios import register
from tests.test_watch import until
from watcher.service import Watcher

QUARTER = "2026Q4 Customer Complaint Closed-Loop"
NOT_ESTABLISHED = {
    "Complaint established": "No",
    "Reason for the decision": "Damage came from the customer's forklift",
}


@pytest.fixture
def quarter(tmp_path: Path) -> Folder:
    """Two cases closed in 2026Q4 (not established), one still open."""
    folder = Folder(tmp_path / "share")
    for customer in ("ACME Windows", "Beta Glass"):
        register(folder, "2026-11-20T10:00", Customer=customer, **NOT_ESTABLISHED)
    register(folder, "2026-11-21T10:00", Customer="Gamma Doors", **{"Complaint established": "yes"})
    return folder


def close(folder: Folder, *extra: str) -> str:
    return folder.run(
        "close-quarter", str(folder.root), "2026Q4", "--now", "2027-01-05T09:00", *extra
    )


def test_closed_cases_are_sealed_with_a_summary_and_a_manifest(quarter: Folder) -> None:
    out = close(quarter)
    assert f"2026Q4: 2 closed cases sealed in Archive/{QUARTER} (2 moved now)" in out
    archive = quarter.root / "Archive"
    sealed = archive / QUARTER
    assert sorted(p.name for p in sealed.iterdir() if p.is_dir()) == [
        "CC-2026-0001 ACME Windows",
        "CC-2026-0002 Beta Glass",
    ]
    assert (archive / "CC-2026-0003 Gamma Doors").is_dir()  # open: stays
    ws = load_workbook(sealed / "2026Q4 Summary.xlsx").active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:3] == ["Case", "Customer", "Product"]
    assert [(r[0], r[1], r[8]) for r in rows[1:]] == [
        ("CC-2026-0001", "ACME Windows", "Complaint not established"),
        ("CC-2026-0002", "Beta Glass", "Complaint not established"),
    ]
    # the quarter's report: sealed with the cases, and in Reports/ with its page
    report = load_workbook(sealed / "2026Q4 Quarterly Report.xlsx")
    numbers = {
        c.value: below.value
        for c, below in zip(report["Charts"][4], report["Charts"][5], strict=True)
    }
    assert (numbers["Opened 2026Q4"], numbers["Closed 2026Q4"], numbers["Open at the end"]) == (
        3,
        2,
        1,
    )
    assert [r[0].value for r in report["Open cases"].iter_rows(min_row=2)] == ["CC-2026-0003"]
    assert (quarter.root / "Reports" / "2026Q4 Quarterly Report.html").exists()
    assert "2026Q4 Quarterly Report.xlsx" in (sealed / "manifest.sha256").read_text()
    check = subprocess.run(
        ["sha256sum", "--check", "--strict", "manifest.sha256"], cwd=sealed, capture_output=True
    )
    assert check.returncode == 0, check.stdout
    for path in sealed.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert not mode & 0o222, f"{path} is writable ({oct(mode)})"
    status = json.loads(quarter.run("status", str(quarter.root), "CC-2026-0001", "--json"))
    assert status["folder"].startswith(f"Archive/{QUARTER}/CC-2026-0001")
    assert json.loads(quarter.run("verify", str(quarter.root), "--json"))["findings"] == []


def test_closing_twice_changes_nothing(quarter: Folder) -> None:
    close(quarter)
    sealed = quarter.root / "Archive" / QUARTER
    before = {
        p: p.read_bytes() for p in sealed.rglob("*") if p.is_file() and not p.name.endswith(".xlsx")
    }
    assert "(0 moved now)" in close(quarter)
    after = {
        p: p.read_bytes() for p in sealed.rglob("*") if p.is_file() and not p.name.endswith(".xlsx")
    }
    assert set(after) == set(before)
    assert {
        p: d for p, d in after.items() if p.name != "manifest.sha256" or p.parent != sealed
    } == {p: d for p, d in before.items() if p.name != "manifest.sha256" or p.parent != sealed}


class MachineDown(BaseException):
    """The process stops here: nothing after it runs."""


def test_a_close_stopped_half_way_is_finished_by_running_it_again(
    quarter: Folder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean = Folder.__new__(Folder)
    clean.root = tmp_path / "clean"
    shutil.copytree(quarter.root, clean.root)
    close(clean)
    moves = {"left": 1}
    real_replace = Path.replace

    def crash_after_one_move(self: Path, target: Path) -> Path:  # type: ignore[override]
        if Path(target).parent.name == QUARTER:
            if not moves["left"]:
                raise MachineDown
            moves["left"] -= 1
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", crash_after_one_move)
    with pytest.raises(MachineDown):
        CliRunner().invoke(
            cli,
            ["close-quarter", str(quarter.root), "2026Q4", "--now", "2027-01-05T09:00"],
            catch_exceptions=False,
        )
    monkeypatch.undo()
    sealed = quarter.root / "Archive" / QUARTER
    assert len([p for p in sealed.iterdir() if p.is_dir()]) == 1  # one moved, then the crash
    assert "(1 moved now)" in close(quarter)

    def files(root: Path) -> list[str]:
        return sorted(
            str(p.relative_to(root)) for p in (root / "Archive").rglob("*") if p.is_file()
        )

    assert files(quarter.root) == files(clean.root)
    assert json.loads(quarter.run("verify", str(quarter.root), "--json"))["findings"] == []


def test_rebuild_finds_the_sealed_cases(quarter: Folder) -> None:
    close(quarter)
    live = registry_rows(quarter.root / ".closedloop" / "registry.sqlite")
    quarter.run("rebuild", str(quarter.root))
    assert registry_rows(quarter.root / ".closedloop" / "registry.sqlite") == live


@pytest.mark.parametrize(
    ("quarter_text", "now", "message"),
    [
        ("2026Q4", "2026-12-01T09:00", "2026Q4 has not ended yet (2026-12-01)"),
        ("2026-Q5", "2027-01-05T09:00", "'2026-Q5' is not a quarter; write it like 2026Q4"),
    ],
)
def test_a_quarter_not_over_or_misspelt_is_refused(
    quarter: Folder, quarter_text: str, now: str, message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["close-quarter", str(quarter.root), quarter_text, "--now", now]
    )
    assert result.exit_code == 2 and message in result.stderr
    assert not (quarter.root / "Archive" / QUARTER).exists()


def test_with_the_setting_on_the_first_ingest_after_the_quarter_seals_it(quarter: Folder) -> None:
    quarter.setting("close_quarters = false", "close_quarters = true")
    assert quarter.ingest("2026-12-31T23:00") == []  # the quarter is not over: nothing
    assert not (quarter.root / "Archive" / QUARTER).exists()
    [sealed] = quarter.ingest("2027-01-02T08:00")
    assert (sealed["file"], sealed["outcome"]) == (f"Archive/{QUARTER}", "sealed")
    assert sealed["reason"] == "2026Q4 is over: 2 closed cases sealed"
    assert quarter.ingest("2027-01-02T09:00") == []  # once


def test_the_setting_must_be_true_or_false(quarter: Folder) -> None:
    quarter.setting("close_quarters = false", 'close_quarters = "yes"')
    result = CliRunner().invoke(cli, ["ingest", str(quarter.root)])
    assert result.exit_code == 2
    assert (
        "[archive] close_quarters is 'yes', not true or false; write it like close_quarters = true"
        in result.stderr
    )


def test_a_running_service_seals_a_quarter_once_it_is_over(quarter: Folder) -> None:
    results: list[FileResult] = []
    w = Watcher(
        quarter.root,
        quiet_settings(window=0.1, rescan=0.2, close_quarters=True),
        now=lambda: datetime(2027, 1, 2, 8, 0),
        on_result=results.append,
    )
    w.start()
    try:
        until(lambda: any(r.outcome == "sealed" for r in results))
    finally:
        w.stop()
    assert [r.file for r in results if r.outcome == "sealed"] == [f"Archive/{QUARTER}"]
    assert (quarter.root / "Archive" / QUARTER / "CC-2026-0001 ACME Windows").is_dir()


def test_a_write_killed_during_the_close_leaves_nothing_that_gets_sealed(
    quarter: Folder,
) -> None:
    """kill -9 between an atomic write's temp file and its rename leaves the temp file
    (forms/atomicfile.py's `.<name>.<12 hex>.part`); the re-run neither seals it nor
    keeps it."""
    close(quarter)
    sealed = quarter.root / "Archive" / QUARTER
    leftovers = [
        sealed / ".manifest.sha256.0123456789ab.part",
        sealed / "CC-2026-0001 ACME Windows" / ".case.json.a1b2c3d4e5f6.part",
    ]
    for path in leftovers:
        path.write_bytes(b"half a write")
    close(quarter)
    listed = (sealed / "manifest.sha256").read_text()
    assert ".part" not in listed and "ACME Windows/case.json" in listed
    assert not any(p.exists() for p in leftovers)
    assert json.loads(quarter.run("verify", str(quarter.root), "--json"))["findings"] == []


def test_rebuild_stops_when_a_sealed_quarter_was_changed(quarter: Folder) -> None:
    close(quarter)
    sealed = quarter.root / "Archive" / QUARTER
    summary = sealed / "2026Q4 Summary.xlsx"
    summary.chmod(0o644)
    summary.write_bytes(summary.read_bytes() + b"\0")
    result = CliRunner().invoke(cli, ["rebuild", str(quarter.root)])
    assert result.exit_code == 2, result.output
    assert (
        f"{sealed}: 2026Q4 Summary.xlsx is altered in the sealed quarter (SHA-256 is"
        in result.stderr
    )
    assert "the quarter was changed after it was sealed" in result.stderr
    assert "restore the folder from a backup" in result.stderr


def test_a_close_that_stopped_before_its_manifest_still_holds_its_cases(quarter: Folder) -> None:
    """Recognised by its name, not its manifest, a quarter folder whose close stopped
    before sealing still counts its cases: verify says it is not sealed, rebuild keeps
    them."""
    close(quarter)
    sealed = quarter.root / "Archive" / QUARTER
    sealed.chmod(0o755)
    (sealed / "manifest.sha256").unlink()
    code = CliRunner().invoke(cli, ["verify", str(quarter.root), "--json"])
    report = json.loads(code.stdout)
    assert code.exit_code == 1 and report["cases"] == 3
    assert [(f["folder"], f["file"], f["kind"]) for f in report["findings"]] == [
        (QUARTER, "manifest.sha256", "unreadable")
    ]
    live = registry_rows(quarter.root / ".closedloop" / "registry.sqlite")
    quarter.run("rebuild", str(quarter.root))
    assert registry_rows(quarter.root / ".closedloop" / "registry.sqlite") == live
