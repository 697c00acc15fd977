"""`closedloop demo`: a newcomer's first minute. It must leave a real folder with a closed
case that verifies, a report, and nothing left in the Inbox or Quarantine."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from closedloop.cli import cli


def test_the_demo_plays_a_case_from_registration_to_closure(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    for title in (
        "1. The customer window registers the complaint",
        "2. Triage: the complaint is established",
        "3. A form with a gap is refused, never lost",
        "Corrective actions: fill in at least one row",
        "4. The corrected CAPA report is filed",
        "5. The customer accepts: the case is closed",
        "6. The weekly report and the auditor's view",
    ):
        assert title in out, title
    [case] = [p for p in (root / "Archive").iterdir() if p.name.startswith("CC-")]
    case_id = case.name.split(" ")[0]
    status = json.loads(CliRunner().invoke(cli, ["status", str(root), case_id, "--json"]).output)
    assert (status["state"], status["resolution"]) == ("closed", "accepted")
    assert [f["form"] for f in status["filed"]] == [
        "registration",
        "registration",
        "capa",
        "satisfaction_survey",
    ]
    assert not any((root / "Inbox").iterdir())
    # The refused CAPA was settled by the corrected one: Quarantine holds nothing to do.
    assert not [p for p in (root / "Quarantine").iterdir() if p.name != "Settled"]
    assert len(list((root / "Quarantine" / "Settled").iterdir())) == 2  # the file, its note
    assert sorted(p.suffix for p in (root / "Reports").glob("* Weekly Report.*")) == [
        ".html",
        ".xlsx",
    ]
    verify = CliRunner().invoke(cli, ["verify", str(root), "--json"])
    assert verify.exit_code == 0 and json.loads(verify.output)["findings"] == []


def test_the_demo_will_not_play_in_a_folder_in_use(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "share")])
    assert result.exit_code == 2
    assert "already holds files; the demo lays out a folder of its own" in result.output
    assert (tmp_path / "share" / "keep.txt").read_text() == "mine"
