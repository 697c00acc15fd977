"""The resident office (`closedloop office ROOT`): a real LibreOffice behind unoserver on
the system's Python, found by the Renderer through .closedloop/office.json; killed -9,
the next render falls back to a LibreOffice of its own and a stale record is replaced;
SIGTERM stops it cleanly; `watch` keeps one of its own."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from archive.office import OfficeClient, running_office
from archive.office_boot import PYTHON
from archive.office_record import RECORD, alive, read_record
from archive.packet import Renderer
from closedloop.cli import cli
from tests.office import LibreOffice
from tests.scenario import Folder, watch_process
from tests.test_scenarios import closed_case, register
from tests.test_watch import until

START = 180.0  # seconds a start may take on a busy machine (the first makes a profile)


@pytest.fixture(scope="module")
def uno(libreoffice: LibreOffice) -> None:
    """The system's Python with LibreOffice's uno (python3-uno), and unoserver."""
    run = subprocess.run([PYTHON, "-I", "-c", "import uno"], capture_output=True)
    missing = [
        what
        for what, ok in (
            (f"{PYTHON} with uno (python3-uno)", run.returncode == 0),
            ("unoserver", importlib.util.find_spec("unoserver") is not None),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing; .ci/run installs them")
        pytest.skip(f"{', '.join(missing)} missing")


def command() -> list[str]:
    exe = Path(sys.executable).with_name("closedloop")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]


def office(root: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*command(), "office", str(root)], stdout=out, stderr=out)


def record(root: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((root / ".closedloop" / RECORD).read_text())
    except (OSError, ValueError):
        return None  # not there, or read while being replaced
    return data


def running(root: Path, pid: int) -> dict[str, Any]:
    """The record once process `pid`'s office says it is up."""
    until(
        lambda: (r := record(root)) is not None and r["pid"] == pid and r["state"] == "running",
        timeout=START,
    )
    found = record(root)
    assert found is not None
    return found


def offices_on(profile: Path) -> list[int]:
    """The LibreOffice processes working in `profile`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(profile.as_uri().encode() in a for a in args) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def forms(folder: Folder, work: Path) -> list[Path]:
    """A Word and an Excel form, from the folder's Blank Forms."""
    work.mkdir(exist_ok=True)
    docx, xlsx = work / "registration.docx", work / "capa.xlsx"
    docx.write_bytes(folder.blank("registration").read_bytes())
    xlsx.write_bytes(folder.blank("capa", "xlsx").read_bytes())
    return [docx, xlsx]


def texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def rendered(renderer: Renderer, files: list[Path], out: Path) -> dict[Path, list[str]]:
    pdfs = renderer.to_pdf(files, out)
    assert all(isinstance(p, Path) for p in pdfs.values()), pdfs
    return {f: texts(p) for f, p in pdfs.items() if isinstance(p, Path)}


@pytest.mark.heavy
@pytest.mark.libreoffice
def test_the_office_renders_falls_back_when_killed_and_stops_on_sigterm(
    tmp_path: Path, uno: None
) -> None:
    folder = Folder(tmp_path / "share", packets=True)
    root, state = folder.root, folder.root / ".closedloop"
    files = forms(folder, tmp_path / "work")
    fresh = rendered(Renderer(tmp_path / "own profile", use_office=False), files, tmp_path / "a")
    docx, xlsx = files
    assert "Complaint Registration Form" in fresh[docx][0]
    assert "Corrective and Preventive Action Report" in fresh[xlsx][0]
    log = tmp_path / "office.log"
    first = office(root, log)
    try:
        up = running(root, first.pid)
        assert up["host"] == "127.0.0.1" and alive(up["server_pid"]) and up["started"]
        assert OfficeClient(up["port"]).answers()
        renderer = Renderer(state / "libreoffice")
        # The same PDFs as a LibreOffice of its own makes: pages and their text.
        assert rendered(renderer, files, tmp_path / "b") == fresh
        assert renderer.used == "office"
        # The command renders through it too.
        case_id = register(folder)
        packet = tmp_path / "packet.pdf"
        result = CliRunner().invoke(cli, ["packet", str(root), case_id, "--out", str(packet)])
        assert result.exit_code == 0, result.output
        assert [o.title for o in PdfReader(packet).outline] == [
            "Case summary, deadlines and timeline",
            "01 Complaint Registration Form v1.docx",
        ]
        # One office per folder.
        second = subprocess.run(
            [*command(), "office", str(root)], capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2
        assert f"an office already runs for {root.absolute()} (process {first.pid}" in (
            second.stderr
        )

        # Killed -9: unoserver and LibreOffice end with it; the record stays, stale.
        first.send_signal(signal.SIGKILL)
        first.wait()
        until(lambda: not alive(up["server_pid"]) and not offices_on(state / "office"))
        assert record(root) == up
        assert running_office(state) is None
        assert rendered(renderer, files, tmp_path / "c") == fresh
        assert renderer.used == "soffice"

        # A new office replaces the stale record, and removes the dead one's copy of
        # unoserver.
        killed = first.pid
        assert list(Path(tempfile.gettempdir()).glob(f"closedloop-unoserver-{killed}-*"))
        first = office(root, log)
        again = running(root, first.pid)
        assert not list(Path(tempfile.gettempdir()).glob(f"closedloop-unoserver-{killed}-*"))
        assert again["port"] != up["port"] or again["server_pid"] != up["server_pid"]
        assert rendered(renderer, files, tmp_path / "d") == fresh
        assert renderer.used == "office"

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0, log.read_text()
        assert record(root) is None
        until(lambda: not alive(again["server_pid"]) and not offices_on(state / "office"))
        assert not list(Path(tempfile.gettempdir()).glob(f"closedloop-unoserver-{first.pid}-*"))
        assert "LibreOffice runs for" in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        first.kill()
        first.wait()


@pytest.mark.heavy
@pytest.mark.libreoffice
def test_the_packet_command_is_handed_to_the_office(tmp_path: Path, uno: None) -> None:
    """`closedloop packet` with the office running: the office's process builds it (its
    log names the command's process), into the case folder or for --out (written by the
    command, at the path as it was given), and the folder verifies."""
    folder = Folder(tmp_path / "share")  # no packet at closing: the command builds it
    case_id, _filed = closed_case(folder)
    log = tmp_path / "office.log"
    server = office(folder.root, log)
    try:
        assert running(folder.root, server.pid)["desk"].startswith("closedloop-desk-")
        packet = [*command(), "packet", "share", case_id]
        run = subprocess.run(
            [*packet, "--out", "out/packet.pdf"], cwd=tmp_path, capture_output=True, text=True
        )
        assert (run.returncode, run.stdout) == (0, "Wrote out/packet.pdf\n"), run.stderr
        outline = [o.title for o in PdfReader(tmp_path / "out" / "packet.pdf").outline]
        assert outline[0] == "Case summary, deadlines and timeline" and len(outline) == 4
        run = subprocess.run(packet, cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        [filed] = (folder.root / "Archive").glob(f"{case_id} */{case_id} Closure Packet.pdf")
        assert run.stdout == f"Wrote share/{filed.relative_to(folder.root)}\n"
        assert json.loads(folder.run("verify", str(folder.root), "--json"))["findings"] == []
        said = log.read_text(encoding="utf-8")
        assert said.count("closure packet for process") == 2
        assert "Traceback" not in said
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0


@pytest.mark.heavy
@pytest.mark.libreoffice
def test_watch_starts_its_own_office_restarts_it_and_stops_it(tmp_path: Path, uno: None) -> None:
    folder = Folder(tmp_path / "share", packets=True)
    root, state = folder.root, folder.root / ".closedloop"
    watch = watch_process(root)
    try:
        until(lambda: (r := record(root)) is not None and r["state"] == "running", START)
        first = record(root)
        assert first is not None
        assert _parent(first["pid"]) == watch.pid  # its child
        os.kill(first["pid"], signal.SIGKILL)  # the office dies; the watch starts another
        until(
            lambda: (
                (r := record(root)) is not None
                and r["pid"] != first["pid"]
                and r["state"] == "running"
            ),
            START,
        )
        second = record(root)
        assert second is not None and _parent(second["pid"]) == watch.pid
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=60) == 0
        assert record(root) is None
        assert not alive(second["pid"]) and not alive(second["server_pid"])
        until(lambda: not offices_on(state / "office"))
        log = (state / "watch.log").read_text(encoding="utf-8")
        assert "a resident LibreOffice starts for the closure packets" in log
        assert "ended with exit code -9" in log
    finally:
        watch.kill()
        watch.wait()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_record_made_a_link_is_never_followed(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    state = folder.root / ".closedloop"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"keep": "me"}')
    (state / RECORD).symlink_to(elsewhere)
    assert read_record(state) is None and running_office(state) is None
    result = CliRunner().invoke(cli, ["office", str(folder.root)])
    assert result.exit_code == 2
    assert f"{state / RECORD} is a link; closedloop never follows one" in " ".join(
        result.output.split()
    )
    assert elsewhere.read_text() == '{"keep": "me"}'
    assert (state / RECORD).is_symlink()


def test_a_stale_starting_or_garbled_record_is_no_office(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    state = folder.root / ".closedloop"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], stdout=subprocess.PIPE
    )
    dead = int(gone.stdout)
    base = {"server_pid": os.getpid(), "port": 9, "uno_port": 10, "started": "2026-12-01T09:00"}
    for data in (
        {**base, "pid": dead, "state": "running"},  # its process is gone
        {**base, "pid": os.getpid(), "state": "running"},  # alive, but nothing answers
        {**base, "pid": os.getpid(), "state": "starting"},
        {**base, "pid": "1", "state": "running"},
        [1, 2],
    ):
        (state / RECORD).write_text(json.dumps(data))
        assert running_office(state) is None, data
    (state / RECORD).write_text("{not json")
    assert read_record(state) is None
    assert not alive(dead) and not alive(0) and not alive(-1)


def test_office_refuses_a_folder_that_is_not_laid_out(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["office", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path} is not a closedloop shared folder" in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_the_office_unit_runs_office_on_the_service_folder(tmp_path: Path) -> None:
    from tests.test_contrib import CONTRIB

    unit = (CONTRIB / "closedloop-office.service").read_text(encoding="utf-8")
    [start] = [line.split("=", 1)[1].split() for line in unit.splitlines() if "ExecStart=" in line]
    assert start[1:] == ["office", "/srv/complaints"]
    assert "Before=closedloop.service" in unit and "ReadWritePaths=/srv/complaints" in unit
    result = CliRunner().invoke(cli, [*start[1:], "--help"])
    assert result.exit_code == 0, result.output
    if shutil.which("systemd-analyze") is None:
        return
    exe = Path(sys.executable).with_name("closedloop")
    path = tmp_path / "closedloop-office.service"
    path.write_text(
        unit.replace("/opt/closedloop/venv/bin/closedloop", str(exe)).replace(
            "/srv/complaints", str(tmp_path)
        ),
        encoding="utf-8",
    )
    check = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    about_unit = [line for line in check.stderr.splitlines() if path.name in line]
    assert check.returncode == 0 and about_unit == [], check.stderr
