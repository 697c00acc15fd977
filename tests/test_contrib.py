"""contrib/: the systemd unit passes systemd's own check, and both it and the Windows task
call commands that exist, with the arguments they take."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from closedloop.cli import cli
from tests.conftest import REPO

CONTRIB = REPO / "contrib"
UNIT = (CONTRIB / "closedloop.service").read_text(encoding="utf-8")


def unit_commands() -> list[list[str]]:
    return [
        shlex.split(line.split("=", 1)[1])
        for line in UNIT.splitlines()
        if line.startswith(("ExecStart=", "ExecStartPre="))
    ]


def test_the_unit_runs_watch_after_doctor_on_the_same_folder() -> None:
    pre, start = unit_commands()
    assert pre[1:] == ["doctor", "/srv/complaints"]
    assert start[1:] == ["watch", "/srv/complaints"]
    assert "RequiresMountsFor=/srv/complaints" in UNIT and "ReadWritePaths=/srv/complaints" in UNIT
    for command in (pre, start):  # the arguments parse: --help after them is reached
        result = CliRunner().invoke(cli, [*command[1:], "--help"])
        assert result.exit_code == 0, result.output


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("closedloop")
    unit = tmp_path / "closedloop.service"
    unit.write_text(
        UNIT.replace("/opt/closedloop/venv/bin/closedloop", str(exe)).replace(
            "/srv/complaints", str(tmp_path)
        ),
        encoding="utf-8",
    )
    check = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    # What it says of the unit itself (not of the machine, say a container without systemd)
    about_unit = [line for line in check.stderr.splitlines() if "closedloop.service" in line]
    assert check.returncode == 0 and about_unit == [], check.stderr


def test_the_windows_task_runs_a_one_shot_ingest() -> None:
    task = etree.parse(str(CONTRIB / "windows" / "closedloop-ingest.xml"))
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert task.xpath("//t:MultipleInstancesPolicy/text()", namespaces=ns) == ["IgnoreNew"]
    assert task.xpath("//t:Interval/text()", namespaces=ns) == ["PT2M"]
    [command] = task.xpath("//t:Command/text()", namespaces=ns)
    assert command.endswith("\\closedloop-ingest.cmd")
    script = (CONTRIB / "windows" / "closedloop-ingest.cmd").read_text(encoding="utf-8")
    assert '"%CLOSEDLOOP%" ingest "%SHARE%"' in script
