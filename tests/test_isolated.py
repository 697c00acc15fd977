"""Reading in a child process under OS limits: the same answers as read_form, and a file
that runs past memory, CPU or wall-clock time costs a bounded amount and is refused."""

from __future__ import annotations

import io
import os
import resource
import signal
import sys
import threading
import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from forms.definition import FORM_IDS, Field, get_form
from forms.errors import RefusedFile
from forms.isolated import IsolatedReader, ReaderProcessError
from forms.reader import read_form
from forms.writer import FORMATS, render_form

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="limits are checked in /proc")

HOSTILE = "tests.hostile_readers:misbehave"


def sample(f: Field, i: int) -> Any:
    return {
        "text": f"{f.label} 客户 ±0.02mm #{i}",
        "multiline": "First line.\nSecond line & more.",
        "date": date(2026, 11, 20),
        "datetime": datetime(2026, 11, 20, 9, 30),
        "integer": 7 + i,
        "decimal": Decimal("1250.75"),
        "yesno": i % 2 == 0,
        "choice": f.choices[0].id if f.choices else None,
        "multichoice": [c.id for c in f.choices[:2]],
    }.get(f.type)


def filled(form_id: str, fmt: str) -> bytes:
    form = get_form(form_id)
    values = {
        f.id: [{c.id: sample(c, i) for c in f.columns} for i in range(2)]
        if f.type == "table"
        else sample(f, 0)
        for f in form.fields
    }
    return render_form(form, fmt, values, "CC-2026-0001")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def form() -> bytes:
    return filled("registration", "xlsx")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def children() -> set[int]:
    """Processes whose parent is this one (zombies included: they were not waited for)."""
    me = str(os.getpid())
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if fields[1] == me:
            out.add(int(stat.parent.name))
    return out


def reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("closedloop-reader")]


def limits(pid: int) -> dict[str, str]:
    rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {row[:26].strip(): row[26:47].strip() for row in rows}


def test_every_form_reads_as_read_form_reads_it(tmp_path: Path) -> None:
    with IsolatedReader() as reader:
        for form_id in FORM_IDS:
            for fmt in FORMATS:
                for data in (filled(form_id, fmt), render_form(get_form(form_id), fmt)):
                    path = tmp_path / f"{form_id}.{fmt}"
                    got = reader.read(path, data)
                    assert got == read_form(path, data)
        # Typed values and problems both came through (blank forms have problems).
        assert got.problems and not reader.read(path, filled(form_id, fmt)).problems
        registration = reader.read(tmp_path / "r.xlsx", filled("registration", "xlsx"))
        assert registration.values["complaint_date"] == date(2026, 11, 20)
        assert registration.case_id == "CC-2026-0001"


def test_a_file_larger_than_the_pipe_reads_the_same(tmp_path: Path) -> None:
    # 3 MB of photo in the package: more than the pipe holds, so it goes by the feeding
    # thread rather than by one direct write.
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(filled("capa", "docx"))) as source,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("word/media/image9.png", os.urandom(3 * 2**20))
    data = buf.getvalue()
    path = tmp_path / "capa with photo.docx"
    with IsolatedReader() as reader:
        for _ in range(2):
            assert reader.read(path, data) == read_form(path, data)
        assert reader.read(path, filled("capa", "xlsx")).ok


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.docx", b"just some text"),
        ("empty.xlsx", b""),
        ("broken.docx", b"PK\x03\x04 not really a zip"),
        # A name that is not UTF-8 crosses to the child intact: only by its name is this
        # an owner file, refused as lock_file and not as unsupported_type.
        (os.fsdecode(b"~$r\xe9sum\xe9.docx"), b"\x00" * 162),
    ],
    ids=["text", "empty", "broken zip", "owner file, not UTF-8"],
)
def test_a_refusal_comes_back_whole(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    with pytest.raises(RefusedFile) as inline:
        read_form(path, data)
    with IsolatedReader() as reader, pytest.raises(RefusedFile) as isolated:
        reader.read(path, data)
    assert (isolated.value.path, isolated.value.kind, isolated.value.reason) == (
        inline.value.path,
        inline.value.kind,
        inline.value.reason,
    )
    assert str(isolated.value) == str(inline.value)


def test_a_read_past_the_memory_limit_is_refused_and_the_next_works(
    tmp_path: Path, form: bytes
) -> None:
    with IsolatedReader(memory_mb=200, reader=HOSTILE) as reader:
        reader.read(tmp_path / "ok.xlsx", form)
        first = reader.pid
        assert first is not None
        assert limits(first)["Max address space"] == str(200 * 2**20)
        assert limits(first)["Max core file size"] == "0"
        with pytest.raises(RefusedFile) as refused:
            reader.read(tmp_path / "bomb.xlsx", b"hostile:allocate")
        assert refused.value.kind == "unsafe"
        assert refused.value.reason == "reading it needed more than 200 MB of memory."
        assert "bomb.xlsx: reading it needed more than 200 MB" in str(refused.value)
        assert not alive(first)  # a fresh child for the next file
        assert reader.read(tmp_path / "ok.xlsx", form) == read_form(tmp_path / "ok.xlsx", form)
        assert reader.pid not in (None, first)


def test_a_read_past_the_cpu_budget_is_refused_and_the_next_works(
    tmp_path: Path, form: bytes
) -> None:
    # The wall-clock timeout is well above the CPU budget: the CPU limit must end it.
    with IsolatedReader(cpu_seconds=1, timeout=4.5, reader=HOSTILE) as reader:
        reader.read(tmp_path / "ok.xlsx", form)
        first = reader.pid
        assert first is not None
        assert limits(first)["Max cpu time"] != "unlimited"
        start = time.monotonic()
        with pytest.raises(RefusedFile) as refused:
            reader.read(tmp_path / "spin.xlsx", b"hostile:spin")
        assert (refused.value.kind, refused.value.reason) == (
            "unsafe",
            "reading it needed more than 1 s of processor time.",
        )
        assert time.monotonic() - start < 4.5
        assert not alive(first)
        assert reader.read(tmp_path / "ok.xlsx", form) == read_form(tmp_path / "ok.xlsx", form)


def test_a_read_past_the_wall_clock_timeout_is_killed_and_the_next_works(
    tmp_path: Path, form: bytes
) -> None:
    with IsolatedReader(timeout=1, reader=HOSTILE) as reader:
        reader.read(tmp_path / "ok.xlsx", form)
        first = reader.pid
        assert first is not None
        start = time.monotonic()
        with pytest.raises(RefusedFile) as refused:
            reader.read(tmp_path / "slow.xlsx", b"hostile:sleep")
        assert time.monotonic() - start < 2.5
        assert (refused.value.kind, refused.value.reason) == (
            "unsafe",
            "reading it took more than 1 s.",
        )
        assert not alive(first)
        assert reader.read(tmp_path / "ok.xlsx", form) == read_form(tmp_path / "ok.xlsx", form)


@pytest.fixture
def cores_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process may dump core into tmp_path: so would a child, had it not said no."""
    before = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (before[1], before[1]))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    resource.setrlimit(resource.RLIMIT_CORE, before)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hostile:segfault", "the process reading it stopped (killed by SIGSEGV)."),
        (b"hostile:exit", "the process reading it stopped (exit code 3)."),
    ],
    ids=["segfault", "exit"],
)
def test_a_child_that_dies_reading_refuses_the_file_and_leaves_no_core(
    cores_allowed: Path, form: bytes, data: bytes, reason: str
) -> None:
    with IsolatedReader(reader=HOSTILE) as reader:
        with pytest.raises(RefusedFile) as refused:
            reader.read(cores_allowed / "crash.docx", data)
        assert (refused.value.kind, refused.value.reason) == ("unsafe", reason)
        assert reader.read(cores_allowed / "ok.xlsx", form).ok
    assert not [p.name for p in cores_allowed.iterdir() if p.name.startswith("core")]


def test_an_unexpected_exception_refuses_the_file_as_corrupt_naming_it(
    tmp_path: Path, form: bytes
) -> None:
    with IsolatedReader(reader=HOSTILE) as reader:
        with pytest.raises(RefusedFile) as refused:
            reader.read(tmp_path / "odd.docx", b"hostile:bug")
        assert (refused.value.kind, refused.value.reason) == (
            "corrupt",
            "closedloop could not read it (KeyError: 'a key the reading code did not expect').",
        )
        assert reader.read(tmp_path / "ok.xlsx", form).ok


def test_what_the_reading_code_prints_cannot_corrupt_the_answers(
    tmp_path: Path, form: bytes
) -> None:
    path = tmp_path / "ok.xlsx"
    with IsolatedReader(reader=HOSTILE) as reader:
        assert reader.read(path, b"hostile:print:" + form) == read_form(path, form)
        assert reader.read(path, form) == read_form(path, form)


def test_a_child_killed_between_reads_is_replaced_without_a_word(
    tmp_path: Path, form: bytes
) -> None:
    path = tmp_path / "ok.xlsx"
    with IsolatedReader() as reader:
        reader.read(path, form)
        for pause in (0, 0.2):  # killed just before the next file, and well before it
            pid = reader.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            time.sleep(pause)
            assert reader.read(path, form) == read_form(path, form)
            assert reader.pid != pid


class Interrupted(Exception):
    pass


def test_an_interrupted_read_does_not_hand_its_answer_to_the_next_file(
    tmp_path: Path, form: bytes
) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted  # as Ctrl-C would, while the child is still at its file

    before = signal.signal(signal.SIGALRM, interrupt)
    try:
        with IsolatedReader(reader=HOSTILE) as reader:
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with pytest.raises(Interrupted):
                reader.read(tmp_path / "slow.xlsx", b"hostile:sleep")
            path = tmp_path / "ok.xlsx"
            assert reader.read(path, form) == read_form(path, form)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_close_leaves_no_process_and_no_thread_behind(tmp_path: Path, form: bytes) -> None:
    before = children()
    with IsolatedReader(timeout=1, reader=HOSTILE) as reader:
        reader.read(tmp_path / "ok.xlsx", form)
        with pytest.raises(RefusedFile):
            reader.read(tmp_path / "slow.xlsx", b"hostile:sleep")
        reader.read(tmp_path / "ok.xlsx", form)
        pid = reader.pid
        assert pid is not None and pid in children()
    assert reader.pid is None
    assert children() == before
    assert reader_threads() == []


def test_a_reader_that_cannot_start_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    before = children()
    with IsolatedReader(reader="tests.no_such_module:read") as reader:
        with pytest.raises(ReaderProcessError) as at_start:
            reader.start()
        with pytest.raises(ReaderProcessError) as at_read:  # not a refusal: no file's fault
            reader.read(tmp_path / "ok.xlsx", b"anything")
    for failed in (at_start, at_read):
        assert "could not start with reader tests.no_such_module:read" in str(failed.value)
        assert "ModuleNotFoundError" in str(failed.value)
    assert children() == before
    assert reader_threads() == []


def test_start_starts_the_child_before_the_first_file(tmp_path: Path, form: bytes) -> None:
    with IsolatedReader() as reader:
        assert reader.pid is None
        reader.start()
        pid = reader.pid
        assert pid is not None and alive(pid)
        reader.start()  # already running: the same child
        assert reader.read(tmp_path / "ok.xlsx", form).ok
        assert reader.pid == pid
    assert not alive(pid)
