"""Links, FIFOs and devices planted inside the Archive (issue 11, attacker findings): a
filed original, an issued copy, a piece of evidence or a whole folder replaced by a link
to something outside the shared folder, or by a FIFO. verify names each, the quarter close
refuses to seal it and changes nothing outside, the mail of an issued form is given up
(never a hang, never an outside file sent), the packet names the document as unavailable;
a case.json or history nested beyond the stack is a finding and a refusal, never a
traceback. Real case folders, filed by the real CLI."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from pypdf import PdfReader

from app.settings import load_settings
from archive.listing import list_folder, set_modes
from archive.packet import Renderer, build_packet, original
from closedloop.cli import cli
from filing.policy import Policy
from filing.registry import Registry
from mail.send import send_due
from tests.office import LibreOffice
from tests.scenario import Folder
from tests.smtp import Mailbox, free_port
from tests.test_mail import LOGISTICS, established, mails, with_mail
from tests.test_scenarios import register
from tests.test_tamper import detail, found, reseal, verify

pytestmark = pytest.mark.budget(seconds=5, megabytes=500)

ACME = "CC-2026-0001 ACME Windows"  # closed in 2026Q4
BETA = "CC-2026-0002 Beta Glass"  # open, with an issued CAPA report and a photo
MAILED = "issued/CC-2026-0001 Corrective and Preventive Action Report.docx"  # mail tests
QUARTER = "2026Q4 Customer Complaint Closed-Loop"
NEVER = "closedloop never follows links, nor reads anything that is not a file"
NOT_ESTABLISHED = {
    "Complaint established": "No",
    "Reason for the decision": "Damage came from the customer's forklift",
}
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot for the archive\n"
BOMB = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Folder(tmp_path_factory.mktemp("links") / "share")
    register(folder, "2026-11-20T10:00", **NOT_ESTABLISHED)
    register(folder, "2026-11-20T10:30", Customer="Beta Glass", **{"Complaint established": "yes"})
    (folder.root / "Inbox" / "CC-2026-0002").mkdir()
    (folder.root / "Inbox" / "CC-2026-0002" / "photo.jpg").write_bytes(b"\xff\xd8 cracked")
    assert folder.ingest("2026-11-20T11:00")[0]["outcome"] == "filed"
    return folder.root


@pytest.fixture
def root(filed: Path, tmp_path: Path) -> Path:
    root = tmp_path / "share"
    shutil.copytree(filed, root, symlinks=True)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """What an attacker points links at: a private key (0600) and a private folder (0700)
    outside the shared folder."""
    where = tmp_path / "outside"
    (where / "private").mkdir(parents=True)
    (where / "id_rsa").write_bytes(SECRET)
    (where / "id_rsa").chmod(0o600)
    (where / "private" / "photo.jpg").write_bytes(b"\xff\xd8 cracked")  # the very bytes filed
    (where / "private").chmod(0o700)
    return where


def untouched(outside: Path) -> None:
    assert (outside / "id_rsa").read_bytes() == SECRET
    assert stat.S_IMODE((outside / "id_rsa").stat().st_mode) == 0o600
    assert stat.S_IMODE((outside / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE((outside / "private" / "photo.jpg").stat().st_mode) == 0o644


def swap(path: Path, *, link: Path | None = None, fifo: bool = False) -> None:
    """The entry replaced, as someone with write access to the share would."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    if link is not None:
        path.symlink_to(link)
    if fifo:
        os.mkfifo(path)


def details(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(f["folder"], f["file"]): f["detail"] for f in report["findings"]}


# -- verify -------------------------------------------------------------------------------


def test_verify_names_each_link_and_fifo_in_a_case_folder_and_reads_none(
    root: Path, outside: Path
) -> None:
    case = root / "Archive" / BETA
    swap(case / "01 Complaint Registration Form v1.docx", link=outside / "id_rsa")
    swap(case / "evidence" / "photo.jpg", fifo=True)
    swap(case / "zero", link=Path("/dev/zero"))
    swap(case / "pipe", fifo=True)
    code, report = verify(root)
    assert code == 1
    assert found(report) == {
        (BETA, "01 Complaint Registration Form v1.docx", "not-a-file"),
        (BETA, "evidence/photo.jpg", "not-a-file"),
        (BETA, "pipe", "not-a-file"),
        (BETA, "zero", "not-a-file"),
    }
    said = details(report)
    assert said[(BETA, "01 Complaint Registration Form v1.docx")] == (
        f"a link (shortcut) to somewhere else where the manifest lists a file: {NEVER}, so it "
        "was not read; remove it and restore the file from a backup"
    )
    assert said[(BETA, "evidence/photo.jpg")] == (
        f"a named pipe (FIFO), not a file where the manifest lists a file: {NEVER}, so it was "
        "not read; remove it and restore the file from a backup"
    )
    assert said[(BETA, "zero")] == (
        f"a link (shortcut) to somewhere else, not in the manifest: {NEVER}, so it was not "
        "read; remove it"
    )
    # Files only: each folder's case.json and history, ACME's form, Beta's issued copy.
    assert report["files"] == 6
    untouched(outside)
    # rebuild refuses, naming the folder and the entry
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2, result.output
    assert (
        f"{case}: 01 Complaint Registration Form v1.docx is not-a-file (a link (shortcut) to somewhere else "
        "where the manifest lists a file" in result.stderr
    )
    assert "Traceback" not in result.output


def test_verify_enters_no_linked_folder_even_one_holding_the_filed_bytes(
    root: Path, outside: Path, tmp_path: Path
) -> None:
    case = root / "Archive" / BETA
    swap(case / "evidence", link=outside / "private")  # holds the photo, byte for byte
    copied = tmp_path / "elsewhere" / ACME
    shutil.copytree(root / "Archive" / ACME, copied)
    swap(root / "Archive" / ACME, link=copied)  # a whole case folder, kept elsewhere
    code, report = verify(root)
    assert code == 1
    assert found(report) >= {
        (BETA, "evidence", "not-a-file"),
        (BETA, "evidence/photo.jpg", "missing"),
        (ACME, "", "not-a-file"),
        ("", "", "registry"),
    }
    said = details(report)
    assert said[(BETA, "evidence/photo.jpg")] == (
        "listed in the manifest, not in the folder: evidence on its way is a link (shortcut) "
        "to somewhere else, not followed"
    )
    assert said[(ACME, "")] == (
        f"{ACME} is a link (shortcut) to somewhere else, not a folder: {NEVER}, so nothing in "
        "it was checked; remove the link and restore the folder from a backup"
    )
    assert "case CC-2026-0001 is in the registry but no folder in the Archive holds it" in (
        detail(report, "registry")
    )
    untouched(outside)


def test_a_case_json_nested_beyond_the_stack_is_a_finding_and_a_refusal(root: Path) -> None:
    case = root / "Archive" / ACME
    (case / "case.json").write_bytes(BOMB)
    reseal(case)  # so that nothing but the nesting is wrong with the folder
    code, report = verify(root)
    assert code == 1
    assert report["findings"] == [
        {
            "folder": ACME,
            "file": "case.json",
            "kind": "unreadable",
            "detail": "case.json cannot be read (nested too deep)",
        }
    ]
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2, result.output
    assert (
        f"{case}: case.json is unreadable (case.json cannot be read (nested too deep))"
        in result.stderr
    )
    assert "Traceback" not in result.output and "RecursionError" not in result.output


def test_a_history_line_nested_beyond_the_stack_is_a_finding_and_a_refusal(root: Path) -> None:
    case = root / "Archive" / BETA
    lines = (case / "history.jsonl").read_bytes().splitlines()
    (case / "history.jsonl").write_bytes(b"\n".join([BOMB, *lines[1:]]) + b"\n")
    reseal(case)
    code, report = verify(root)
    assert code == 1
    history = [f["detail"] for f in report["findings"] if f["kind"] == "history"]
    assert history[:2] == ["line 1 is not a history entry", "line 1 is not the start of a history"]
    # A line that parses, with a value nested deep: no field closedloop writes.
    deep = json.loads(lines[0])
    deep["detail"] = json.loads(b"[" * 900 + b"]" * 900)
    (case / "history.jsonl").write_bytes(
        b"\n".join([json.dumps(deep).encode(), *lines[1:]]) + b"\n"
    )
    reseal(case)
    code, report = verify(root)
    assert code == 1 and "line 1 is not a history entry" in [
        f["detail"] for f in report["findings"]
    ]
    result = CliRunner().invoke(cli, ["rebuild", str(root)])
    assert result.exit_code == 2, result.output
    assert f"{case}: history.jsonl is history (line 1 is not a history entry)" in result.stderr
    assert "Traceback" not in result.output


# -- the quarter close --------------------------------------------------------------------


def close(root: Path) -> Any:
    return CliRunner().invoke(
        cli, ["close-quarter", str(root), "2026Q4", "--now", "2027-01-05T09:00"]
    )


def test_the_quarter_close_refuses_links_and_fifos_and_changes_nothing(
    root: Path, outside: Path
) -> None:
    case = root / "Archive" / ACME
    filed = (case / "01 Complaint Registration Form v1.docx").read_bytes()
    swap(case / "01 Complaint Registration Form v1.docx", link=outside / "id_rsa")
    swap(case / "notes", link=outside / "private")
    swap(case / "pipe", fifo=True)
    result = close(root)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: 2026Q4 was not sealed: {NEVER}, and seals only files and folders. In the "
        "folders to seal:\n"
        f"  Archive/{ACME}/01 Complaint Registration Form v1.docx is a link (shortcut) to somewhere else\n"
        f"  Archive/{ACME}/notes is a link (shortcut) to somewhere else\n"
        f"  Archive/{ACME}/pipe is a named pipe (FIFO), not a file\n"
        "Remove each of them (where one took the place of a filed file, restore that file from "
        "a backup: `closedloop verify` lists what is missing or altered), then close the "
        "quarter again\n"
    )
    untouched(outside)
    assert case.is_dir() and not (root / "Archive" / QUARTER).exists()  # nothing moved
    assert stat.S_IMODE((case / "case.json").stat().st_mode) == 0o644  # nothing sealed

    # Put right as the message says, the close goes through.
    for name in ("01 Complaint Registration Form v1.docx", "notes", "pipe"):
        swap(case / name)
    (case / "01 Complaint Registration Form v1.docx").write_bytes(filed)
    assert close(root).exit_code == 0
    sealed = root / "Archive" / QUARTER / ACME
    assert verify(root)[1]["findings"] == []

    # A link planted in the sealed quarter later: the re-run refuses and opens nothing up.
    sealed.chmod(0o755)
    swap(sealed / "id_rsa", link=outside / "id_rsa")
    sealed.chmod(0o555)
    result = close(root)
    assert result.exit_code == 2
    assert f"Archive/{QUARTER}/{ACME}/id_rsa is a link (shortcut) to somewhere else" in (
        result.stderr
    )
    untouched(outside)
    assert stat.S_IMODE((sealed / "case.json").stat().st_mode) == 0o444  # still sealed


def test_a_case_folder_replaced_by_a_link_is_not_sealed(root: Path, outside: Path) -> None:
    case = root / "Archive" / ACME
    kept = outside / "private" / "kept"
    outside.joinpath("private").chmod(0o755)
    shutil.copytree(case, kept)
    kept.chmod(0o700)
    swap(case, link=kept)
    result = close(root)
    assert result.exit_code == 2
    assert (
        f"  Archive/{ACME} is a link (shortcut) to somewhere else, not a folder\n" in result.stderr
    )
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
    assert stat.S_IMODE((kept / "case.json").stat().st_mode) == 0o644
    assert case.is_symlink() and not (root / "Archive" / QUARTER).exists()


@pytest.mark.parametrize("walk", ["handles", "paths"])
def test_modes_are_set_on_files_and_folders_and_never_through_a_link(
    tmp_path: Path, outside: Path, walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if walk == "paths":  # as on Windows, which has no os.fwalk (no dir_fd)
        monkeypatch.delattr(os, "fwalk")
    folder = tmp_path / "sealed"
    (folder / "evidence").mkdir(parents=True)
    (folder / "form.docx").write_bytes(b"form")
    (folder / "evidence" / "photo.jpg").write_bytes(b"photo")
    (folder / "key").symlink_to(outside / "id_rsa")
    (folder / "evidence" / "private").symlink_to(outside / "private")
    os.mkfifo(folder / "pipe", 0o600)
    listing = list_folder(folder)
    assert listing.files == ["evidence/photo.jpg", "form.docx"]
    assert listing.folders == ["evidence"]
    assert listing.foreign == {
        "evidence/private": "a link (shortcut) to somewhere else",
        "key": "a link (shortcut) to somewhere else",
        "pipe": "a named pipe (FIFO), not a file",
    }
    set_modes(folder, 0o444, 0o555)
    modes = {
        p.relative_to(folder).as_posix(): stat.S_IMODE(os.lstat(p).st_mode)
        for p in (folder, *folder.rglob("*"))
        if not p.is_symlink()
    }
    assert modes == {
        ".": 0o555,
        "evidence": 0o555,
        "evidence/photo.jpg": 0o444,
        "form.docx": 0o444,
        "pipe": 0o600,  # not a file: left as it is
    }
    untouched(outside)
    set_modes(folder, 0o644, 0o755)
    assert stat.S_IMODE((folder / "form.docx").stat().st_mode) == 0o644
    untouched(outside)


# -- the mail of an issued form -----------------------------------------------------------


@contextlib.contextmanager
def mail_server(port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield box
    finally:
        server.stop()


@pytest.mark.parametrize("planted", ["link", "fifo"])
def test_an_issued_copy_replaced_by_a_link_or_fifo_is_never_sent(
    tmp_path: Path, outside: Path, planted: str
) -> None:
    port = free_port()
    folder = with_mail(Folder(tmp_path / "share"), port)
    results = established(folder)  # no server yet: the mail waits in the queue
    assert [r["outcome"] for r in results] == ["filed", "unsent"]
    copy = folder.root / "Archive" / ACME / MAILED
    swap(copy, link=outside / "id_rsa" if planted == "link" else None, fifo=planted == "fifo")
    with mail_server(port) as box:
        [result] = folder.ingest("2026-11-20T10:05")  # past the retry's pause; never a hang
    what = (
        "a link (shortcut) to somewhere else"
        if planted == "link"
        else "a named pipe (FIFO), not a file"
    )
    reason = (
        f"the attachment Archive/{ACME}/{MAILED} is not sent: {what} is in its place; {NEVER}; "
        "restore the issued copy from a backup"
    )
    assert (result["outcome"], result["reason"]) == (
        "unsent",
        f"to {LOGISTICS}: {reason}; given up",
    )
    assert box.messages == []
    assert [(m["given_up"], m["last_error"]) for m in mails(folder)] == [(1, reason)]
    untouched(outside)


def test_an_issued_copy_with_other_bytes_is_never_sent(tmp_path: Path) -> None:
    port = free_port()
    folder = with_mail(Folder(tmp_path / "share"), port)
    established(folder)
    copy = folder.root / "Archive" / ACME / MAILED
    issued = hashlib.sha256(copy.read_bytes()).hexdigest()
    copy.write_bytes(SECRET)
    with mail_server(port) as box, Registry(folder.root / ".closedloop" / "registry.sqlite") as r:
        [sent] = send_due(
            r, folder.root / "Archive", load_settings(folder.root).mail, datetime(2026, 11, 20, 11)
        )
    assert box.messages == []
    assert sent.gave_up
    assert sent.error == (
        f"the attachment Archive/{ACME}/{MAILED} is not sent: it is not the copy issued (its "
        f"SHA-256 is {hashlib.sha256(SECRET).hexdigest()}, {issued} was issued); restore the "
        "issued copy from a backup"
    )


# -- the closure packet's originals ---------------------------------------------------------


def test_the_packet_takes_an_original_only_as_it_was_filed(root: Path, outside: Path) -> None:
    archive = root / "Archive"
    case = archive / BETA
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        [filing] = registry.filings("CC-2026-0002")
    kept = (case / filing.file).read_bytes()
    assert original(archive, case, filing) == kept
    swap(case / filing.file, link=outside / "id_rsa")
    assert original(archive, case, filing) == (
        f"unavailable: a link (shortcut) to somewhere else is where the case folder should hold "
        f"it; {NEVER}"
    )
    swap(case / filing.file, fifo=True)
    assert original(archive, case, filing) == (
        f"unavailable: a named pipe (FIFO), not a file is where the case folder should hold "
        f"it; {NEVER}"
    )
    swap(case / filing.file)
    (case / filing.file).write_bytes(SECRET)
    assert original(archive, case, filing) == (
        "unavailable: the file in the case folder is not the one filed (its SHA-256 is "
        f"{hashlib.sha256(SECRET).hexdigest()})"
    )
    (case / filing.file).write_bytes(kept)
    swap(archive / BETA, link=outside / "private")  # the folder on its way
    assert original(archive, case, filing) == (
        f"unavailable: a link (shortcut) to somewhere else is where the case folder should hold "
        f"it; {NEVER}"
    )
    untouched(outside)


@pytest.mark.libreoffice
def test_a_packet_names_an_original_replaced_by_a_link_and_embeds_nothing_of_it(
    root: Path, outside: Path, libreoffice: LibreOffice, tmp_path: Path
) -> None:
    case = root / "Archive" / ACME
    swap(case / "01 Complaint Registration Form v1.docx", link=outside / "id_rsa")
    with Registry(root / ".closedloop" / "registry.sqlite") as registry:
        pdf = build_packet(
            root / "Archive",
            registry,
            Policy(),
            "CC-2026-0001",
            Renderer(tmp_path / "profile", libreoffice.binary),
            datetime(2026, 11, 21, 9, 0),
            currency="CNY",
        )
    reader = PdfReader(io.BytesIO(pdf))
    assert [o.title for o in reader.outline] == [
        "Case summary, deadlines and timeline",
        "Documents not in this packet",
    ]
    assert reader.attachments == {}
    notice = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert (
        'Except 1 named under "Documents not in this packet" at the end of the cover' in notice
        and "01 Complaint Registration Form v1.docx (filed with SHA-256 " in notice
        and "unavailable: a link (shortcut) to somewhere else is where the case folder should "
        "hold it; closedloop never follows links, nor reads anything that is not a file."
        in notice
    )
    untouched(outside)


def test_an_automatic_close_refused_by_a_link_is_said_once_and_filing_goes_on(
    root: Path, outside: Path
) -> None:
    """With close_quarters on, ingest seals ended quarters by itself: one it must refuse
    is reported, the pass still ends well and files what it holds."""
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("close_quarters = false", "close_quarters = true"), encoding="utf-8"
    )
    case = root / "Archive" / ACME
    swap(case / "notes", link=outside / "private")
    result = CliRunner().invoke(cli, ["ingest", str(root), "--json", "--now", "2027-01-05T09:00"])
    assert result.exit_code == 1, result.output  # the pass ended; the refusal is its exit 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    [refusal] = [x for x in lines if x["file"] == f"Archive/{QUARTER}"]
    assert refusal["outcome"] == "refused"
    assert refusal["reason"].startswith("2026Q4 could not be sealed: 2026Q4 was not sealed:")
    assert f"Archive/{ACME}/notes is a link (shortcut) to somewhere else" in refusal["reason"]
    untouched(outside)
    assert not (root / "Archive" / QUARTER).exists()
