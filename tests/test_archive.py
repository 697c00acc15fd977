"""The case folder auditors read: originals, issued copies, evidence, case.json, a
chained history and a manifest; `closedloop verify` catches any change after filing."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive.casefile import GENESIS
from archive.journal import JournalError, Plan
from closedloop.cli import cli
from tests.scenario import REGISTRATION, Folder
from tests.test_scenarios import close_capa, register

CASE = "CC-2026-0001 ACME Windows"


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One case through the Inbox: registered and triaged, a photo, the CAPA done."""
    folder = Folder(tmp_path_factory.mktemp("archive") / "share")
    case_id = register(folder, **{"Complaint established": "yes"})
    (folder.root / "Inbox" / case_id).mkdir()
    (folder.root / "Inbox" / case_id / "photo.jpg").write_bytes(b"\xff\xd8 cracked glass")
    assert folder.ingest("2026-11-20T11:00")[0]["outcome"] == "filed"
    results = close_capa(folder, case_id, "Storage & Transportation", "2026-11-23T10:00")
    assert [r["outcome"] for r in results] == ["filed"]
    return folder.root


def verify(root: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["verify", str(root), "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_the_case_folder_holds_the_record_the_history_and_a_manifest(played: Path) -> None:
    case = played / "Archive" / CASE
    names = sorted(p.relative_to(case).as_posix() for p in case.rglob("*") if p.is_file())
    assert names == [
        "01 Complaint Registration Form v1.docx",
        "02 Corrective and Preventive Action Report v1.docx",
        "case.json",
        "evidence/photo.jpg",
        "history.jsonl",
        "issued/CC-2026-0001 Corrective and Preventive Action Report.docx",
        "issued/CC-2026-0001 Customer Satisfaction Survey Form.docx",
        "manifest.sha256",
    ]
    record = json.loads((case / "case.json").read_text(encoding="utf-8"))
    assert record["schema"] == 1 and record["case"]["case_id"] == "CC-2026-0001"
    assert [f["file"] for f in record["filings"]] == [
        "01 Complaint Registration Form v1.docx",
        "02 Corrective and Preventive Action Report v1.docx",
    ]
    assert record["filings"][1]["fields"]["root_cause"] == "Buffer foam too thin for 4 h vibration"
    # What was sent is kept as it was sent. The CAPA came back filed: its outbox copy left
    # the top of the outbox for Done/; the survey is still owed.
    for issued in record["issued"]:
        sent = played / issued["file"]
        if issued["form"] == "capa":
            assert not sent.exists()
            sent = sent.parent / "Done" / sent.name
        assert (case / issued["copy"]).read_bytes() == sent.read_bytes()
    # An auditor needs no closedloop to check the hashes.
    check = subprocess.run(
        ["sha256sum", "--check", "--strict", "manifest.sha256"],
        cwd=case,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    lines = (case / "history.jsonl").read_bytes().splitlines()
    assert json.loads(lines[0])["prev"] == GENESIS
    assert [json.loads(line)["event"] for line in lines] == [
        "filed",
        "evidence added",
        "filed",
    ]


def test_verify_finds_nothing_in_an_untouched_archive(played: Path) -> None:
    code, report = verify(played)
    assert (code, report["findings"], report["cases"]) == (0, [], 1)
    assert report["files"] == 7  # every file but the manifest


def _change_a_byte(case: Path) -> None:
    original = case / "01 Complaint Registration Form v1.docx"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))


def _delete(case: Path) -> None:
    (case / "evidence" / "photo.jpg").unlink()


def _add(case: Path) -> None:
    (case / "02 Corrective and Preventive Action Report v1 (copy).docx").write_bytes(
        b"slipped in later"
    )


def _edit_history(case: Path) -> None:
    path = case / "history.jsonl"
    lines = path.read_bytes().splitlines()
    entry = json.loads(lines[0])
    entry["person"] = "Someone Else"
    lines[0] = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
    path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_change_a_byte, {("01 Complaint Registration Form v1.docx", "altered")}),
        (_delete, {("evidence/photo.jpg", "missing")}),
        (_add, {("02 Corrective and Preventive Action Report v1 (copy).docx", "unexpected")}),
        (_edit_history, {("history.jsonl", "altered"), ("history.jsonl", "history")}),
    ],
)
def test_verify_catches_every_change_after_filing(
    played: Path, tmp_path: Path, tamper: Any, expected: set[tuple[str, str]]
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(played, root)
    tamper(root / "Archive" / CASE)
    code, report = verify(root)
    assert code == 1
    assert {(f["file"], f["kind"]) for f in report["findings"]} == expected
    assert all(f["folder"] == CASE for f in report["findings"])
    text = CliRunner().invoke(cli, ["verify", str(root)]).stdout
    assert "finding" in text and CASE in text


def registry_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a registry but its bookkeeping, rows without their row ids, in order."""
    db = sqlite3.connect(path)
    try:
        out = {}
        for table, order in [
            ("cases", "case_id"),
            ("chain", "seq"),
            ("case_numbers", "year"),
            ("filings", "case_id, id"),
            ("issued", "case_id, id"),
            ("evidence", "case_id, id"),
            ("history", "case_id, id"),
        ]:
            columns = [
                r[1]
                for r in db.execute(f"PRAGMA table_info({table})")
                if r[1] not in ("id", "history_id")  # row ids, and the chain's links to them
            ]
            out[table] = list(
                db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
            )
        return out
    finally:
        db.close()


def test_the_archive_alone_rebuilds_a_registry_equal_to_the_live_one(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    first = register(folder, **{"Complaint established": "yes"})
    register(folder, "2026-11-20T10:30", Customer="Second Customer")
    (folder.root / "Inbox" / first).mkdir()
    (folder.root / "Inbox" / first / "photo.jpg").write_bytes(b"\xff\xd8 cracked")
    folder.ingest("2026-11-20T11:00")
    close_capa(folder, first, "Storage & Transportation", "2026-11-24T09:00")
    folder.save(
        folder.outbox("Customer Window", first, "satisfaction_survey"),
        {"Customer accepts the result": "No", "Customer comments": "Still cracked"},
    )
    assert folder.ingest("2026-11-26T09:00")[0]["outcome"] == "filed"  # closed, re-registered
    registry = folder.root / ".closedloop" / "registry.sqlite"
    live = registry_rows(registry)
    assert len(live["cases"]) == 3 and live["evidence"] and live["issued"]

    out = folder.run("rebuild", str(folder.root), "--now", "2026-11-27T08:00")
    assert "Rebuilt the registry from 3 case folders (4 filings)" in out
    assert "registry.sqlite.before-rebuild-20261127-080000" in out
    assert registry_rows(registry) == live
    # a second rebuild in the same second keeps both earlier registries
    again = folder.run("rebuild", str(folder.root), "--now", "2026-11-27T08:00")
    assert "registry.sqlite.before-rebuild-20261127-080000-2" in again
    kept = sorted(p.name for p in registry.parent.glob("registry.sqlite.before-rebuild-*"))
    assert kept == [
        "registry.sqlite.before-rebuild-20261127-080000",
        "registry.sqlite.before-rebuild-20261127-080000-2",
    ]
    # and the loop goes on with the rebuilt registry: numbers continue, nothing is reused
    assert register(folder, "2026-11-27T09:00", Customer="Third Customer") == "CC-2026-0004"


def test_rebuild_refuses_a_tampered_archive_and_names_the_folder(
    played: Path, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(played, root)
    _delete(root / "Archive" / CASE)
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2
    assert f"{CASE}: evidence/photo.jpg is missing" in result.stderr
    assert "restore the folder from a backup" in result.stderr


@pytest.mark.parametrize(
    "target", ["../outside.docx", "/tmp/outside.docx", "Inbox/../../outside.docx"]
)
def test_a_plan_that_leads_outside_the_folder_is_refused(tmp_path: Path, target: str) -> None:
    """A pending plan is read back from the registry: one edited to point outside the
    shared folder (by .. or an absolute path) moves nothing."""
    root = tmp_path / "share"
    (root / "Inbox").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "linked").symlink_to(tmp_path / "elsewhere")
    staged = root / ".closedloop" / "staging" / "p" / "0"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"form")
    plan = Plan(root, "p", [(".closedloop/staging/p/0", target, None)])
    with pytest.raises(JournalError, match="points outside"):
        plan.carry_out()
    assert staged.read_bytes() == b"form"
    assert not (tmp_path / "outside.docx").exists()
    assert not any((tmp_path / "elsewhere").iterdir())


def test_a_plan_whose_folder_became_a_link_puts_its_file_in_quarantine(tmp_path: Path) -> None:
    """A folder made a link to elsewhere after the plan was committed is never written
    through: the file goes to Quarantine beside a note, and nothing stops."""
    root = tmp_path / "share"
    (root / "Inbox").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "linked").symlink_to(tmp_path / "elsewhere")
    staged = root / ".closedloop" / "staging" / "p" / "0"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"form")
    Plan(root, "p", [(".closedloop/staging/p/0", "linked/x.docx", None)]).carry_out()
    assert not any((tmp_path / "elsewhere").iterdir())
    assert (root / "Quarantine" / "x.docx").read_bytes() == b"form"
    note = (root / "Quarantine" / "x.docx - what to fix.txt").read_text(encoding="utf-8")
    assert "a folder on that path is a link (a shortcut) to somewhere else" in note


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_link_planted_at_the_next_case_folder_never_reaches_another_case(
    tmp_path: Path,
) -> None:
    """Case numbers are foreseeable: a link named as the next case's folder, to a case
    filed before, is not written through (the earlier case's originals, record and
    history stay as filed); what the new case files goes to Quarantine beside a note."""
    folder = Folder(tmp_path / "share")
    first = register(folder)
    [filed] = [p for p in (folder.root / "Archive").iterdir() if p.name.startswith(first)]
    before = _digests(filed)
    (folder.root / "Archive" / "CC-2026-0002 Evil").symlink_to(filed.name)
    second = register(folder, "2026-11-20T11:00", Customer="Evil")
    assert second == "CC-2026-0002"
    assert _digests(filed) == before
    quarantine = folder.root / "Quarantine"
    notes = [p for p in quarantine.iterdir() if p.name.endswith(" - what to fix.txt")]
    assert notes, sorted(p.name for p in quarantine.iterdir())
    said = notes[0].read_text(encoding="utf-8")
    assert "CC-2026-0002 Evil/" in said and "is a link (a shortcut)" in said


def test_what_a_link_sends_aside_takes_no_name_a_later_refusal_of_the_pass_goes_to(
    tmp_path: Path,
) -> None:
    """The new case's records sent to Quarantine (its folder a planted link) and files
    named like them refused in the same pass: each is kept, none written over another."""
    import os

    folder = Folder(tmp_path / "share")
    archive = folder.root / "Archive"
    archive.mkdir(exist_ok=True)
    (tmp_path / "elsewhere").mkdir()
    (archive / "CC-2026-0001 Evil").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    form = folder.save(folder.blank("registration"), {**REGISTRATION, "Customer": "Evil"})
    os.utime(form, (1_700_000_000, 1_700_000_000))  # first in the pass
    junk = {n: f"junk {n}".encode() for n in ("case.json", "history.jsonl", "manifest.sha256")}
    for name, data in junk.items():
        (folder.root / "Inbox" / name).write_bytes(data)
    results = folder.ingest("2026-11-20T10:00")
    assert sorted(r["outcome"] for r in results) == ["filed", "refused", "refused", "refused"]
    assert not any((tmp_path / "elsewhere").iterdir())
    kept = {
        p.name: p.read_bytes()
        for p in (folder.root / "Quarantine").iterdir()
        if p.is_file() and not p.name.endswith(" - what to fix.txt")
    }
    for name, data in junk.items():
        assert kept.pop(name) == data
    # The case's own records, aside under names of their own, each beside its note.
    assert {Path(n).stem.split(" (")[0] for n in kept} >= {"case", "history", "manifest"}
    for name in kept:
        assert (folder.root / "Quarantine" / f"{name} - what to fix.txt").is_file()
