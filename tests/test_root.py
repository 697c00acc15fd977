"""One way to name the shared folder: every command that works on one takes it as ROOT,
its first argument, and refuses a folder that is not laid out, creating nothing there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from closedloop.cli import cli

#: (the command, what follows ROOT)
COMMANDS = [
    (["ingest"], []),
    (["watch"], []),
    (["status"], ["CC-2026-0001"]),
    (["cases"], []),
    (["verify"], []),
    (["rebuild"], []),
    (["index"], []),
    (["packet"], ["CC-2026-0001"]),
    (["close-quarter"], ["2026Q4"]),
    (["mail"], []),
    (["report", "weekly"], []),
    (["report", "quarterly"], []),
]


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[0]))
@pytest.mark.parametrize("where", ["missing", "empty", "named --help"])
def test_a_folder_that_is_not_laid_out_is_refused_and_nothing_is_made(
    tmp_path: Path, command: tuple[list[str], list[str]], where: str
) -> None:
    root = {
        "missing": tmp_path / "nowhere",
        "empty": tmp_path / "empty",
        "named --help": tmp_path / "--help",
    }[where]
    if where != "missing":
        root.mkdir()
    before = tree(tmp_path)
    head, tail = command
    result = CliRunner().invoke(cli, [*head, str(root), *tail])
    code, output = result.exit_code, result.output
    assert code == 2, output
    assert f"{root} is not a closedloop shared folder" in " ".join(output.split())
    assert f"lay it out with `closedloop init {root}`" in " ".join(output.split())
    assert tree(tmp_path) == before  # nothing created, not even .closedloop


@pytest.mark.parametrize("where", ["missing", "empty"])
def test_doctor_reports_a_folder_that_is_not_laid_out_and_makes_nothing(
    tmp_path: Path, where: str
) -> None:
    root = tmp_path / "share"
    if where == "empty":
        root.mkdir()
    before = tree(tmp_path)
    result = CliRunner().invoke(cli, ["doctor", str(root)])
    assert result.exit_code == 1
    assert "fail  folders: missing: Inbox" in result.output
    assert f"lay them out with `closedloop init {root}`" in result.output
    assert tree(tmp_path) == before
    assert not os.path.lexists(root / ".closedloop")
