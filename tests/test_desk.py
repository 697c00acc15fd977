"""The packet desk (closedloop/desk): `closedloop packet` hands the job to the folder's
office process, which answers in the folder's language; a desk that is not there, not
the one the record names, or asked about another folder, is not talked to (the command
builds the packet itself); a client that sends junk or nothing is let go and the next
one is served. The real office and a real packet are in test_office.py."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.office_record import OfficeRecord, read_record, write_record
from closedloop.cli import cli
from closedloop.desk.client import Answer, ask
from closedloop.desk.record import read_desk, write_desk
from closedloop.desk.server import PacketDesk, may_write
from closedloop.desk.wire import REQUEST_BYTES, address, read_line, send_line
from tests.office import LibreOffice
from tests.scenario import Folder, watch_process
from tests.test_scenarios import closed_case
from tests.test_watch import until


def _record(root: Path, desk: str, pid: int | None = None) -> None:
    """The office's record, as `closedloop office` writes it, naming `desk`; `pid` the
    process the record says runs it (this one: the desk below runs in it)."""
    mine = os.getpid() if pid is None else pid
    write_record(
        root / ".closedloop",
        OfficeRecord(mine, mine, 1, 1, "2026-12-03T10:00:00+00:00", "running", desk=desk),
    )


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Folder, PacketDesk]]:
    folder = Folder(tmp_path / "share")
    with PacketDesk(folder.root, request_seconds=0.5) as running:
        _record(folder.root, running.name)
        yield folder, running


def test_the_desk_answers_the_command_in_the_folders_language(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="closedloop.office")
    for language, words in (("en", "there is no case"), ("zh-CN", "没有投诉")):
        folder = Folder(tmp_path / language, language=language)
        with PacketDesk(folder.root) as running:
            _record(folder.root, running.name)
            assert read_record(folder.root / ".closedloop") is not None
            result = CliRunner().invoke(cli, ["packet", str(folder.root), "CC-2026-0099"])
        assert result.exit_code == 2, result.output
        assert words in result.output and "CC-2026-0099" in result.output
        # It was the desk that answered: the office's console names the command's process.
        said = [r.getMessage() for r in caplog.records if "CC-2026-0099" in r.getMessage()]
        assert said and str(os.getpid()) in said[-1] and words in said[-1]


def test_junk_and_silence_are_let_go_and_the_next_command_served(
    desk: tuple[Folder, PacketDesk],
) -> None:
    folder, running = desk
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(address(running.name))  # says nothing: let go after request_seconds
    surrogate = (
        b'{"version": 1, "job": "packet", "case": "CC-2026-0099", "root": "\\udcff", '
        b'"clock": null, "out": "\\udcff", "folder": null}\n'
    )
    for junk in (
        b"x" * (REQUEST_BYTES + 10),
        b"not json\n",
        b"[1, 2]\n",
        b'{"job": "rm"}\n',
        b"[" * 15000 + b"\n",  # nested past Python's stack
        surrogate,  # a path that is not UTF-8, as the command sends one
    ):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(address(running.name))
            conn.sendall(junk)
            conn.settimeout(5)
            try:
                answer = conn.recv(1000)
            except ConnectionResetError:  # closed with the junk unread
                answer = b""
            assert answer in (b"", b'{"fallback": true}\n'), answer
    start = time.monotonic()
    answer = ask(folder.root, "CC-2026-0099", None, None)
    assert answer is not None and answer.exit_code == 2 and "CC-2026-0099" in answer.text
    assert time.monotonic() - start < 5
    silent.close()


def test_a_request_about_another_folder_is_not_served(
    desk: tuple[Folder, PacketDesk], tmp_path: Path
) -> None:
    folder, running = desk
    (tmp_path / "elsewhere").mkdir()
    other = (tmp_path / "elsewhere").stat()  # not the desk's .closedloop
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(address(running.name))
        conn.settimeout(5)
        send_line(
            conn,
            {
                "version": 1,
                "job": "packet",
                "case": "CC-2026-0099",
                "root": str(folder.root),
                "clock": None,
                "out": None,
                "folder": [other.st_dev, other.st_ino],
            },
        )
        assert read_line(conn, 1000, 5) == {"fallback": True}


def test_no_desk_a_gone_one_or_an_impostor_and_the_command_builds_it_itself(
    desk: tuple[Folder, PacketDesk],
) -> None:
    folder, running = desk
    # A desk name with no one listening.
    _record(folder.root, "closedloop-desk-" + "0" * 32)
    assert ask(folder.root, "CC-2026-0099", None, None) is None
    # A record naming another process (pid 1 runs) than the one listening: not talked to.
    _record(folder.root, running.name, pid=1)
    assert ask(folder.root, "CC-2026-0099", None, None) is None
    # A desk name that is not one of ours' shape is no desk at all.
    state = folder.root / ".closedloop" / "office.json"
    state.write_text(state.read_text().replace(running.name, "../../etc/passwd"))
    record = read_record(folder.root / ".closedloop")
    assert record is not None and record.desk == ""
    # The command, with no desk, builds it itself, and says the same in the same words.
    result = CliRunner().invoke(cli, ["packet", str(folder.root), "CC-2026-0099"])
    assert result.exit_code == 2 and "there is no case CC-2026-0099" in result.output


def test_the_packet_command_loads_none_of_the_library_before_asking() -> None:
    heavy = ("app.application", "weasyprint", "openpyxl", "docx", "pypdf", "jinja2", "lxml")
    probe = (
        "import sys, closedloop.cli.packet; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""
    # And every command is still there, each from its module.
    assert set(cli.every_command()) == {
        "init", "ingest", "watch", "doctor", "demo", "status", "cases", "mail", "packet",
        "verify", "rebuild", "close-quarter", "index", "forms", "read", "office", "report", "sites",
    }  # fmt: skip


@pytest.mark.libreoffice
def test_with_watch_running_the_service_builds_and_files_the_packet(
    tmp_path: Path, libreoffice: LibreOffice
) -> None:
    """The service holds the folder's lock, which the command needs to file a packet: it
    hands the job to the service's desk, whose worker files it (and the case's page after
    it); the service's record of its desk goes when it stops."""
    folder = Folder(tmp_path / "share")  # packets off: only the command builds one
    case_id, _filed = closed_case(folder)
    state = folder.root / ".closedloop"
    watch = watch_process(folder.root)
    try:
        until(lambda: read_desk(state) is not None, timeout=60)
        packet = [sys.executable, "-m", "closedloop", "packet", str(folder.root), case_id]
        run = subprocess.run(packet, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        [filed] = (folder.root / "Archive").glob(f"{case_id} */{case_id} Closure Packet.pdf")
        assert run.stdout == f"Wrote {filed}\n"
        # Its case page links it: the worker brought the pages up to date after it.
        [page] = (folder.root / "Archive").glob(f"**/{case_id}*.html")
        assert "Closure Packet.pdf" in page.read_text(encoding="utf-8")
        run = subprocess.run(
            [*packet, "--out", str(tmp_path / "copy.pdf")], capture_output=True, text=True
        )
        assert run.returncode == 0 and (tmp_path / "copy.pdf").read_bytes()[:5] == b"%PDF-"
        log = (state / "watch.log").read_text(encoding="utf-8")
        assert log.count("closure packet for process") == 2
        assert json.loads(folder.run("verify", str(folder.root), "--json"))["findings"] == []
    finally:
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(60) == 0
    assert read_desk(state) is None


def test_the_desk_works_at_the_commands_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's clock goes with the job: its --now, its CLOSEDLOOP_NOW, or its own
    time (the office's process may run in another time zone, or with a clock of its own)."""
    folder = Folder(tmp_path / "share")
    clocks: list[str | None] = []

    def job(case_id: str, clock: str | None, *, into_folder: bool) -> tuple[bytes, Path | None]:
        clocks.append(clock)
        return b"%PDF-1.7 made up", None

    monkeypatch.setenv("CLOSEDLOOP_NOW", "2030-01-01T09:00")  # the desk's process: ignored
    with PacketDesk(folder.root, job=job) as running:
        _record(folder.root, running.name)
        out = tmp_path / "p.pdf"
        assert ask(folder.root, "CC-2026-0001", out, "2026-11-20T09:30") is not None
        assert ask(folder.root, "CC-2026-0001", out, None) is not None  # CLOSEDLOOP_NOW
        monkeypatch.delenv("CLOSEDLOOP_NOW")
        before = datetime.now().replace(microsecond=0)
        answer = ask(folder.root, "CC-2026-0001", out, None)
    assert answer is not None and answer.pdf == b"%PDF-1.7 made up"
    assert clocks[:2] == ["2026-11-20T09:30", "2030-01-01T09:00"]
    assert clocks[2] is not None and datetime.fromisoformat(clocks[2]) >= before


def test_a_job_taken_and_never_answered_is_not_built_again(tmp_path: Path) -> None:
    """Once a desk has taken the job it may have filed the packet: a command that gets no
    answer says so, and does not build (and file) it a second time."""
    folder = Folder(tmp_path / "share")
    name = "closedloop-desk-" + "1" * 32
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address(name))
    server.listen(1)

    def take_and_vanish() -> None:
        conn, _addr = server.accept()
        with conn:
            read_line(conn, REQUEST_BYTES, 5)
            send_line(conn, {"accepted": True})

    taker = threading.Thread(target=take_and_vanish)
    taker.start()
    _record(folder.root, name)
    result = CliRunner().invoke(cli, ["packet", str(folder.root), "CC-2026-0001"])
    taker.join()
    server.close()
    assert result.exit_code == 2
    assert "gave no answer" in result.output and "closedloop status" in result.output
    assert "there is no case" not in result.output  # not built here


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to run a desk as another user")
def test_a_desk_run_by_another_user_is_not_trusted(tmp_path: Path) -> None:
    """Whoever can write the record (a shared folder's other users) could name a desk of
    their own: the command talks only to a desk of its own user, the folder's owner or
    root, as the kernel says who listens."""
    folder = Folder(tmp_path / "share")
    name = "closedloop-desk-" + "2" * 32
    fake = (
        "import socket, sys; s = socket.socket(socket.AF_UNIX); "
        f"s.bind('\\0{name}'); s.listen(1); print('up', flush=True); "
        "c, _ = s.accept(); c.recv(9999); "
        'c.sendall(b\'{"accepted": true}\\n{"text": "Wrote forged", "exit": 0}\\n\')'
    )
    other = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", fake],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "up\n"
        _record(folder.root, name, pid=other.pid)
        assert ask(folder.root, "CC-2026-0001", None, None) is None
    finally:
        other.kill()
        other.wait()
        if other.stdout is not None:
            other.stdout.close()


def test_a_stopping_desk_finishes_the_job_in_hand_and_turns_away_the_rest(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    started, release = threading.Event(), threading.Event()

    def job(case_id: str, clock: str | None, *, into_folder: bool) -> tuple[bytes, Path | None]:
        started.set()
        release.wait(10)
        return b"%PDF-1.7 made up", folder.root / "Archive" / f"{case_id}.pdf"

    answers: dict[str, Answer | None] = {}

    def command(case_id: str) -> None:
        answers[case_id] = ask(folder.root, case_id, None, None)

    desk = PacketDesk(folder.root, job=job).__enter__()
    _record(folder.root, desk.name)
    first = threading.Thread(target=command, args=("CC-2026-0001",))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=command, args=("CC-2026-0002",))
    second.start()
    time.sleep(0.3)  # taken, and waiting its turn
    stopping = threading.Thread(target=desk.__exit__, args=(None, None, None))
    stopping.start()
    time.sleep(0.3)
    release.set()
    for thread in (first, second, stopping):
        thread.join(20)
    done, turned_away = answers["CC-2026-0001"], answers["CC-2026-0002"]
    assert done is not None and done.exit_code == 0
    assert turned_away is not None and turned_away.exit_code == 2
    assert "run the command again" in turned_away.text


def test_a_packet_the_command_gave_up_waiting_for_is_not_filed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under watch, the command waits for the worker to file its packet; when it gives up
    (a backlog, a registry away) and is told to run it again, the worker does not file it
    later behind its back. (The build is not what is tried here: it is given.)"""
    from app.application import App
    from watcher import desk_filing

    folder = Folder(tmp_path / "share")
    monkeypatch.setattr(desk_filing, "packet_of", lambda app, case_id, now: b"%PDF-1.7")
    monkeypatch.setattr(desk_filing, "FILING_SECONDS", 0.2)
    filings = desk_filing.DeskFilings(lambda: App.open(folder.root), threading.Event())
    with pytest.raises(desk_filing.ServiceStopped, match="run the command again"):
        filings.packet("CC-2026-0001", None, into_folder=True)
    followed: list[str] = []
    with App.open(folder.root) as app:
        filings.file_waiting(app, followed.append)  # the worker comes round to it
    assert followed == []


def test_the_folders_group_is_served_and_strangers_are_not(tmp_path: Path) -> None:
    """The service runs as an account of its own; the people who work the folder are in
    its group, may write its .closedloop, and so are served. Others are sent back."""
    folder = Folder(tmp_path / "share")
    state = folder.root / ".closedloop"
    me = os.getpid()
    assert may_write(state.lstat(), me, os.geteuid())
    os.chmod(state, 0o775)
    os.chown(state, -1, os.getegid())
    assert may_write(state.lstat(), me, 54321)  # in the folder's group (this process's own)
    os.chmod(state, 0o755)
    assert not may_write(state.lstat(), me, 54321)  # the group may not write: not served


def test_a_record_write_a_kill_cut_short_leaves_nothing_at_the_next(tmp_path: Path) -> None:
    # A `kill -9` between the temp file and its rename leaves `.desk.json.<hex>.part`; the
    # next service (or office) clears it when it writes its own record.
    state = tmp_path / ".closedloop"
    state.mkdir()
    cut = [state / ".desk.json.0123456789ab.part", state / ".office.json.ba9876543210.part"]
    for part in cut:
        part.write_bytes(b'{"pi')
    kept = state / ".numbers.json.0123456789ab.part"  # another record's: its writer's to clear
    kept.write_bytes(b"{")
    write_desk(state, os.getpid(), "closedloop-desk-" + "a" * 32)
    write_record(state, OfficeRecord(os.getpid(), 0, 2002, 2003, "2026-12-03T14:00:00"))
    assert sorted(p.name for p in state.iterdir()) == sorted(
        ["desk.json", "office.json", kept.name]
    )
    assert read_desk(state) == (os.getpid(), "closedloop-desk-" + "a" * 32)
