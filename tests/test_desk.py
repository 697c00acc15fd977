"""The packet desk (closedloop/desk): `closedloop packet` hands the job to the folder's
office process, which answers in the folder's language; a desk that is not there, not
the one the record names, or asked about another folder, is not talked to (the command
builds the packet itself); a client that sends junk or nothing is let go and the next
one is served. The real office and a real packet are in test_office.py."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.office_record import OfficeRecord, read_record, write_record
from closedloop.cli import cli
from closedloop.desk.client import ask
from closedloop.desk.server import PacketDesk
from closedloop.desk.wire import REQUEST_BYTES, address, read_line, send_line
from tests.scenario import Folder


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
    for junk in (b"x" * (REQUEST_BYTES + 10), b"not json\n", b"[1, 2]\n", b'{"job": "rm"}\n'):
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
        "verify", "rebuild", "close-quarter", "index", "forms", "read", "office", "report",
    }  # fmt: skip
