"""Tamper evidence (issue 11, point 5): each forgery an outside attack test got past
verify, made here on real case folders filed by real ingest, and found; the archive-wide
chain, and an anchor held outside the folder, against someone who writes both the share
and the registry."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive.casefile import GENESIS, manifest
from closedloop.cli import cli
from filing.chain import event_digest, next_head
from filing.records import Case, Event
from filing.registry import Registry
from tests.scenario import Folder
from tests.test_archive import registry_rows
from tests.test_scenarios import close_capa, register

ACME = "CC-2026-0001 ACME Windows"
BETA = "CC-2026-0002 Beta Glass"
# A customer's name that makes the case folder's name end like a sealed quarter's.
LOOKALIKE = "CC-2026-0003 Q Customer Complaint Closed-Loop"
NOW = datetime(2026, 11, 20, 10, 0)


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Three cases whose events interleave; the archive chain's head taken after the third
    event (an early anchor) and at the end (the latest anchor)."""
    folder = Folder(tmp_path_factory.mktemp("tamper") / "share")
    register(folder, **{"Complaint established": "yes"})
    register(folder, "2026-11-20T10:30", Customer="Beta Glass")
    (folder.root / "Inbox" / "CC-2026-0001").mkdir()
    (folder.root / "Inbox" / "CC-2026-0001" / "photo.jpg").write_bytes(b"\xff\xd8 cracked")
    assert folder.ingest("2026-11-20T11:00")[0]["outcome"] == "filed"
    early = head(folder.root)
    assert early[0] == 3
    assert close_capa(folder, "CC-2026-0001", "Storage & Transportation", "2026-11-23T10:00")
    assert register(folder, "2026-11-24T09:00", Customer="Q Customer Complaint Closed-Loop") == (
        "CC-2026-0003"
    )
    assert (folder.root / "Archive" / LOOKALIKE).is_dir()
    return folder.root, early[1], head(folder.root)[1]


def head(root: Path) -> tuple[int, str]:
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        return registry.chain_head()


def copy(filed: tuple[Path, str, str], tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(filed[0], root)
    return root


def verify(root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["verify", str(root), "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def found(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["folder"], f["file"], f["kind"]) for f in report["findings"]}


def detail(report: dict[str, Any], kind: str) -> str:
    return " | ".join(f["detail"] for f in report["findings"] if f["kind"] == kind)


def without_registry(root: Path) -> None:
    (root / ".closedloop" / "registry.sqlite").rename(root / "registry-held-elsewhere")


# -- what a forger who can write the share does to make a folder agree with itself --------


def reseal(case: Path) -> None:
    """The manifest made again from the folder's files as they now are."""
    hashes = {
        p.relative_to(case).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in case.rglob("*")
        if p.is_file() and p.name != "manifest.sha256"
    }
    (case / "manifest.sha256").write_bytes(manifest(hashes))


def write_history(case: Path, entries: list[dict[str, Any]]) -> None:
    """History lines with their chain of hashes recomputed, as closedloop writes them."""
    previous, lines = GENESIS, []
    for entry in entries:
        line = json.dumps({**entry, "prev": previous}, ensure_ascii=False, sort_keys=True)
        lines.append(line.encode("utf-8"))
        previous = hashlib.sha256(lines[-1]).hexdigest()
    (case / "history.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def history(case: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (case / "history.jsonl").read_bytes().splitlines()]


def write_record(case: Path, record: dict[str, Any]) -> None:
    text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (case / "case.json").write_bytes(text.encode("utf-8"))


def forger_rebuilds_the_registry(root: Path) -> None:
    """Someone who can write the registry too makes it agree with the forged folders."""
    out = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert out.exit_code == 0, out.output


# -- the untouched archive ------------------------------------------------------------------


def test_an_untouched_archive_agrees_with_its_registry_and_both_anchors(
    filed: tuple[Path, str, str],
) -> None:
    root, early, latest = filed
    code, report = verify(root)
    assert (code, report["findings"], report["cases"]) == (0, [], 3)
    assert report["registry"] == {"checked": True, "note": ""}
    assert (report["chain"]["events"], report["chain"]["head"]) == head(root)
    assert verify(root, "--anchor", early)[1]["anchor"] == {"head": early, "event": 3}
    code, report = verify(root, "--anchor", latest.upper())  # as copied from a mail
    assert (code, report["anchor"]["event"]) == (0, head(root)[0])
    text = CliRunner().invoke(cli, ["verify", str(root), "--anchor", early]).stdout
    assert "Registry cross-check: done" in text
    assert f"Anchor {early} found at event 3: nothing recorded up to it has changed" in text


def test_each_history_line_carries_its_place_in_the_archive_chain(
    filed: tuple[Path, str, str],
) -> None:
    root = filed[0]
    seqs = {
        name: [e["seq"] for e in history(root / "Archive" / name)]
        for name in (ACME, BETA, LOOKALIKE)
    }
    assert sorted(s for each in seqs.values() for s in each) == list(range(1, head(root)[0] + 1))
    assert seqs[BETA] == [2]  # between the first case's events
    # The head is the fold of the events as the folders show them, nothing else.
    events = sorted(
        (e["seq"], name.split(" ")[0], e)
        for name in (ACME, BETA, LOOKALIKE)
        for e in history(root / "Archive" / name)
    )
    h = GENESIS
    for seq, case_id, e in events:
        fields = (e["at"], e["event"], e["form"], e["sha256"], e["person"], e["detail"])
        h = next_head(h, event_digest(seq, case_id, *fields))
    assert h == head(root)[1] == filed[2]


# -- point 5's findings, one by one ----------------------------------------------------------


def test_a_customer_named_like_a_quarter_is_still_a_case(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    case = root / "Archive" / LOOKALIKE
    entries = history(case)
    entries[0]["person"] = "Someone Else"
    write_history(case, [{k: v for k, v in e.items() if k != "prev"} for e in entries])
    reseal(case)  # a quarter's manifest alone, as it was taken for, would agree
    code, report = verify(root)
    assert code == 1 and report["cases"] == 3
    assert (LOOKALIKE, "history.jsonl", "registry") in found(report)  # checked as a case

    root = copy(filed, tmp_path / "again")
    out = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert "Rebuilt the registry from 3 case folders" in out.stdout  # not dropped
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        assert registry.case("CC-2026-0003") is not None
    folder = Folder.__new__(Folder)
    folder.root = root
    assert register(folder, "2026-11-25T09:00", Customer="Delta") == "CC-2026-0004"  # no reuse


def test_a_replaced_original_with_its_manifest_and_case_json_updated(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    case = root / "Archive" / ACME
    forged = (root / "Blank Forms" / "Complaint Registration Form.docx").read_bytes()
    (case / "01 Complaint Registration Form v1.docx").write_bytes(forged)
    record = json.loads((case / "case.json").read_bytes())
    recorded = record["filings"][0]["sha256"]
    record["filings"][0]["sha256"] = hashlib.sha256(forged).hexdigest()
    write_record(case, record)
    reseal(case)

    code, report = verify(root)
    assert code == 1
    assert found(report) == {
        (ACME, "01 Complaint Registration Form v1.docx", "registry"),
        (ACME, "case.json", "registry"),
        (ACME, "history.jsonl", "history"),
    }
    assert f"the registry recorded {recorded} when it was filed: the file was replaced" in (
        detail(report, "registry")
    )
    assert "case.json is not the registry's record of the case (filings differ)" in detail(
        report, "registry"
    )
    # Without the registry, the history still holds the hash the file was filed with.
    without_registry(root)
    code, report = verify(root)
    assert code == 1 and found(report) == {(ACME, "history.jsonl", "history")}
    assert (
        f"line 1 ('filed' at 2026-11-20T10:00:00) records a file with SHA-256 {recorded}, "
        "which the folder no longer holds: the file was replaced after it was filed"
    ) == detail(report, "history")


def test_a_history_whose_last_line_was_removed(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    case = root / "Archive" / ACME
    entries = history(case)
    write_history(case, entries[:-1])
    reseal(case)
    code, report = verify(root)
    assert code == 1
    assert (ACME, "history.jsonl", "registry") in found(report)
    assert (
        f"the registry has 1 more event(s) than the folder's {len(entries) - 1} line(s), the "
        f"next 'filed' at {entries[-1]['at']}: lines were removed from the end of the history"
    ) in detail(report, "registry")
    # Without the registry, the archive chain still misses the event (a later case's
    # events follow it).
    without_registry(root)
    code, report = verify(root)
    assert code == 1 and found(report) == {("", "", "chain")}
    assert f"event {entries[-1]['seq']} is in no case folder's history" in detail(report, "chain")


def test_a_history_rewritten_with_its_chain_of_hashes_recomputed(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    case = root / "Archive" / ACME
    entries = history(case)
    entries[0]["person"] = "Someone Else"
    write_history(case, [{k: v for k, v in e.items() if k != "prev"} for e in entries])
    reseal(case)
    code, report = verify(root)
    assert code == 1
    assert found(report) == {(ACME, "history.jsonl", "registry"), (ACME, "history.jsonl", "chain")}
    assert "line 1 is not the registry's event 1 ('filed' at 2026-11-20T10:00:00)" in detail(
        report, "registry"
    )
    assert "event 1 of the archive chain, in CC-2026-0001 ACME Windows, is not the one" in (
        detail(report, "chain")
    )
    # The folder agrees with itself: without the registry nothing shows, and verify says
    # what it did not do.
    without_registry(root)
    code, report = verify(root)
    assert (code, report["findings"], report["registry"]["checked"]) == (0, [], False)
    assert "not against the registry" in report["registry"]["note"]
    text = CliRunner().invoke(cli, ["verify", str(root)]).stdout
    assert "Registry cross-check: NOT done: no registry at" in text


def test_a_deleted_case_folder(filed: tuple[Path, str, str], tmp_path: Path) -> None:
    root = copy(filed, tmp_path)
    shutil.rmtree(root / "Archive" / BETA)
    code, report = verify(root)
    assert code == 1
    assert "case CC-2026-0002 is in the registry but no folder in the Archive holds it" in detail(
        report, "registry"
    )
    assert "event 2 is in no case folder's history (of CC-2026-0002, the registry says)" in (
        detail(report, "chain")
    )
    # Without the registry, its place in the archive chain is empty all the same.
    without_registry(root)
    code, report = verify(root)
    assert code == 1 and "event 2 is in no case folder's history" in detail(report, "chain")
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2 and "event 2 is in no case folder's history" in result.stderr


def test_a_case_folder_copied_under_another_number(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    shutil.copytree(root / "Archive" / ACME, root / "Archive" / "CC-2026-0009 ACME Windows")
    code, report = verify(root)
    assert code == 1
    assert found(report) >= {
        ("CC-2026-0009 ACME Windows", "case.json", "identity"),
        ("CC-2026-0009 ACME Windows", "", "identity"),
        ("CC-2026-0009 ACME Windows", "history.jsonl", "chain"),
    }
    assert (
        "case.json is of case CC-2026-0001, the folder's name says CC-2026-0009: the folder "
        "was copied or renamed by hand" in detail(report, "identity")
    )
    assert (
        "2 folders hold case CC-2026-0001: CC-2026-0001 ACME Windows, CC-2026-0009 ACME Windows"
        in detail(report, "identity")
    )


def test_a_copied_folder_made_to_agree_with_its_new_number(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    case = root / "Archive" / "CC-2026-0009 ACME Windows"
    shutil.copytree(root / "Archive" / ACME, case)
    record = json.loads((case / "case.json").read_bytes())
    record["case"]["case_id"] = "CC-2026-0009"
    write_record(case, record)
    reseal(case)
    code, report = verify(root)
    assert code == 1
    assert "the registry has no case CC-2026-0009" in detail(report, "registry")
    # The events it copied hold places in the archive chain another folder holds: found
    # without the registry too.
    without_registry(root)
    code, report = verify(root)
    assert code == 1 and found(report) == {("CC-2026-0009 ACME Windows", "history.jsonl", "chain")}
    assert (
        "events 1, 3, 4 of the archive chain are also in CC-2026-0001 ACME Windows: one of the "
        "two folders was copied" in detail(report, "chain")
    )


@pytest.mark.parametrize("name", ["CC-2026-0001 Another Name", "CC-2026-0009 ACME Windows"])
def test_rebuild_reports_a_case_in_two_folders_and_picks_neither(
    filed: tuple[Path, str, str], tmp_path: Path, name: str
) -> None:
    root = copy(filed, tmp_path)
    shutil.copytree(root / "Archive" / ACME, root / "Archive" / name)
    registry = root / ".closedloop" / "registry.sqlite"
    before = registry.read_bytes()
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2, result.output  # refused, not a traceback (exit 1)
    assert "case CC-2026-0001 is held by 2 folders" in result.stderr
    assert str(root / "Archive" / ACME) in result.stderr
    assert str(root / "Archive" / name) in result.stderr
    assert "which is the case is for you to say" in result.stderr
    assert "Traceback" not in result.output and "IntegrityError" not in result.stderr
    assert registry.read_bytes() == before
    assert not registry.with_name("registry.sqlite.rebuilding").exists()


def test_a_lost_registry_that_numbered_anew_is_reported_by_rebuild(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    """Issue 11 point 4 as it reached rebuild: a second CC-2026-0001 folder, filed by a
    registry made anew, holds event 1 of a second chain."""
    root = copy(filed, tmp_path)
    second = Folder(tmp_path / "other")
    register(second, "2026-11-26T09:00", Customer="Other Customer")
    shutil.copytree(
        second.root / "Archive" / "CC-2026-0001 Other Customer",
        root / "Archive" / "CC-2026-0001 Other Customer",
    )
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2, result.output
    assert "case CC-2026-0001 is held by 2 folders" in result.stderr
    assert "event 1 of the archive chain is in" in result.stderr


# -- the anchor: against someone who writes both the share and the registry ------------------


def test_a_consistent_forgery_of_share_and_registry_is_found_only_by_an_anchor(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    """The CAPA report replaced, and everything that records its hash made to match: case
    file, history (its chain recomputed), manifest, and the registry rebuilt from them."""
    root, early, latest = copy(filed, tmp_path), filed[1], filed[2]
    case = root / "Archive" / ACME
    forged = (root / "Blank Forms" / "Corrective and Preventive Action Report.docx").read_bytes()
    digest = hashlib.sha256(forged).hexdigest()
    (case / "02 Corrective and Preventive Action Report v1.docx").write_bytes(forged)
    record = json.loads((case / "case.json").read_bytes())
    record["filings"][1]["sha256"] = digest
    write_record(case, record)
    entries = history(case)
    assert (entries[-1]["form"], entries[-1]["seq"]) == ("capa", 4)  # after the early anchor
    entries[-1]["sha256"] = digest
    write_history(case, [{k: v for k, v in e.items() if k != "prev"} for e in entries])
    reseal(case)
    forger_rebuilds_the_registry(root)

    code, report = verify(root)
    assert (code, report["findings"]) == (0, [])  # share and registry agree: what it can't do
    code, report = verify(root, "--anchor", early)
    assert (code, report["anchor"]["event"]) == (0, 3)  # nothing up to event 3 changed
    code, report = verify(root, "--anchor", latest)
    assert code == 1 and found(report) == {("", "", "anchor")}
    assert report["anchor"] == {"head": latest, "event": None}
    assert (
        f"the anchor {latest} is not a head of the archive chain the case folders give (events "
        f"1 to {head(root)[0]}): an event recorded before the anchor was taken has been changed"
    ) in detail(report, "anchor")
    text = CliRunner().invoke(cli, ["verify", str(root), "--anchor", latest]).stdout
    assert "anchor     Archive: the anchor" in text


def test_the_last_case_folder_deleted_with_the_registry_rebuilt_is_found_by_an_anchor(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root, latest = copy(filed, tmp_path), filed[2]
    shutil.rmtree(root / "Archive" / LOOKALIKE)  # its events are the chain's last
    forger_rebuilds_the_registry(root)
    assert verify(root)[0] == 0
    code, report = verify(root, "--anchor", latest)
    assert code == 1 and "is not a head of the archive chain" in detail(report, "anchor")


def test_an_anchor_past_a_gap_says_where_the_chain_breaks(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root, latest = copy(filed, tmp_path), filed[2]
    shutil.rmtree(root / "Archive" / BETA)
    without_registry(root)
    code, report = verify(root, "--anchor", latest)
    assert code == 1
    assert "which breaks at event 2 (in no case folder) before it reaches the anchor" in detail(
        report, "anchor"
    )


@pytest.mark.parametrize("anchor", ["abc", "z" * 64, ""])
def test_an_anchor_that_is_not_a_head_is_refused(filed: tuple[Path, str, str], anchor: str) -> None:
    result = CliRunner().invoke(cli, ["verify", str(filed[0]), "--anchor", anchor])
    assert result.exit_code == 2
    assert "a head of the archive chain is 64 hex digits" in result.stderr


# -- the chain in the registry and in rebuild ---------------------------------------------------


def test_rebuild_restores_the_archive_chain_link_for_link(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    registry = root / ".closedloop" / "registry.sqlite"
    live, live_head = registry_rows(registry), head(root)
    out = CliRunner().invoke(cli, ["rebuild", str(root), "--now", "2026-11-27T08:00"])
    assert f"Archive chain: {live_head[0]} events, head {live_head[1]}" in out.stdout
    assert registry_rows(registry) == live and live["chain"]


def test_history_from_before_the_chain_still_verifies_and_rebuilds(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    """Folders written by a closedloop without the archive chain: their lines have no
    sequence number. They verify, rebuild (outside the chain), and the chain starts with
    the next event."""
    root = copy(filed, tmp_path)
    for name in (ACME, BETA, LOOKALIKE):
        case = root / "Archive" / name
        write_history(
            case, [{k: v for k, v in e.items() if k not in ("prev", "seq")} for e in history(case)]
        )
        reseal(case)
    forger_rebuilds_the_registry(root)  # the registry such a closedloop would have had
    assert head(root) == (0, GENESIS)
    code, report = verify(root)
    assert (code, report["findings"], report["chain"]["events"]) == (0, [], 0)
    folder = Folder.__new__(Folder)
    folder.root = root
    assert register(folder, "2026-11-25T09:00", Customer="Delta") == "CC-2026-0004"
    lines = history(root / "Archive" / "CC-2026-0004 Delta")
    assert [e.get("seq") for e in lines] == [1]
    assert [e.get("seq") for e in history(root / "Archive" / ACME)] == [None] * 3
    assert verify(root)[1]["findings"] == []
    live = registry_rows(root / ".closedloop" / "registry.sqlite")
    forger_rebuilds_the_registry(root)
    assert registry_rows(root / ".closedloop" / "registry.sqlite") == live


def test_the_registry_chains_each_event_onto_the_head_and_keeps_it(tmp_path: Path) -> None:
    with Registry(tmp_path / "r.sqlite") as registry:
        assert registry.chain_head() == (0, GENESIS)
        with registry.transaction():
            at = Case("CC-2026-0001", "open", NOW, NOW)
            registry.save_case(at)
            seqs = [
                registry.append_history(Event(at.case_id, NOW, "filed", "x", None, "Li", str(n)))
                for n in range(3)
            ]
        assert seqs == [1, 2, 3]
        expected = GENESIS
        for n in range(3):
            digest = event_digest(
                n + 1, at.case_id, NOW.isoformat(), "filed", "x", None, "Li", str(n)
            )
            expected = next_head(expected, digest)
        assert registry.chain_head() == (3, expected)
        assert [seq for _, seq in registry.chained_history(at.case_id)] == [1, 2, 3]
        with pytest.raises(sqlite3.IntegrityError, match="the archive chain is append-only"):
            registry.db.execute("UPDATE chain SET head = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="the archive chain is append-only"):
            registry.db.execute("DELETE FROM chain WHERE seq = 3")
        # A rolled-back event takes its link with it: the next event gets the number.
        with pytest.raises(RuntimeError), registry.transaction():
            registry.append_history(Event(at.case_id, NOW, "lost", None, None, None, ""))
            raise RuntimeError("crash")
        assert registry.append_history(Event(at.case_id, NOW, "kept", None, None, None, "")) == 4


def test_the_registry_s_chain_edited_by_hand_is_found(
    filed: tuple[Path, str, str], tmp_path: Path
) -> None:
    root = copy(filed, tmp_path)
    db = sqlite3.connect(root / ".closedloop" / "registry.sqlite")
    db.execute("DROP TRIGGER chain_no_update")
    db.execute("UPDATE chain SET head = ? WHERE seq = 2", ("f" * 64,))
    db.commit()
    db.close()
    code, report = verify(root)
    assert code == 1
    assert "the registry's chain does not hold together at event 2 (CC-2026-0002)" in detail(
        report, "chain"
    )
