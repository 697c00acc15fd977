"""E-mail against a real SMTP server on loopback (aiosmtpd): issued forms go to their
department with the document attached; a daily digest; failures retried, logged, and never
in the way of filing."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from app.results import FileResult
from app.settings import load_settings
from closedloop.cli import cli
from filing.records import Mail
from filing.registry import Registry
from mail.headers import address_list, header_text
from mail.send import send_due
from mail.settings import MailSettings
from tests.scenario import REGISTRATION, Folder
from tests.settings import quiet_settings
from tests.smtp import Mailbox, free_port
from tests.test_doctor import doctor
from tests.test_watch import until
from watcher.service import Watcher

LOGISTICS = "logistics@example.com"
MANAGER = "quality.manager@example.com"


def with_mail(folder: Folder, port: int) -> Folder:
    folder.setting('host = ""', 'host = "127.0.0.1"')
    folder.setting("port = 25", f"port = {port}")
    folder.setting("digest_departments = true", "digest_departments = false")
    folder.setting(
        '# "Storage & Transportation" = ["logistics@example.com", "warehouse@example.com"]',
        f'"Storage & Transportation" = "{LOGISTICS}"\ncustomer_window = "window@example.com"',
    )
    return folder


@pytest.fixture
def folder(tmp_path: Path, port: int) -> Folder:
    return with_mail(Folder(tmp_path / "share"), port)


def established(
    folder: Folder, now: str = "2026-11-20T10:00", **extra: str
) -> list[dict[str, Any]]:
    folder.save(
        folder.blank("registration"), {**REGISTRATION, "Complaint established": "yes", **extra}
    )
    return folder.ingest(now)


def mails(folder: Folder) -> list[dict[str, Any]]:
    db = sqlite3.connect(folder.root / ".closedloop" / "registry.sqlite")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM mail ORDER BY id")]
    db.close()
    return rows


def test_an_issued_form_goes_to_its_department_with_the_document(
    folder: Folder, mailbox: Mailbox
) -> None:
    results = established(folder)
    assert [r["outcome"] for r in results] == ["filed", "mailed"]
    assert results[1]["reason"] == f"to {LOGISTICS}"
    [message] = mailbox.messages
    assert mailbox.envelopes[0].rcpt_tos == [LOGISTICS]
    assert (
        message["Subject"] == "CC-2026-0001 Corrective and Preventive Action Report: ACME Windows"
    )
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    for line in (
        "Customer:  ACME Windows",
        "Product:   W-200",
        "Category:  Transport damage",
        "What is asked: Root cause, responsibility, corrective and preventive actions",
        "Due: 2026-11-27 23:59 (the actions deadline)",
        "Outbox/Storage & Transportation/CC-2026-0001 Corrective and Preventive Action Report.docx",
    ):
        assert line in text, line
    [attachment] = list(message.iter_attachments())
    name = "CC-2026-0001 Corrective and Preventive Action Report.docx"
    assert attachment.get_filename() == name
    kept = folder.root / "Archive" / "CC-2026-0001 ACME Windows" / "issued" / name
    assert attachment.get_content() == kept.read_bytes()  # the document as issued, to the byte
    # The Customer Window was issued nothing: no mail for it
    assert [m["to_addr"] for m in mails(folder)] == [LOGISTICS]


def test_a_server_that_is_down_never_stops_filing_and_the_mail_goes_later(
    folder: Folder, port: int
) -> None:
    results = established(folder)  # no server listens on the port
    assert [r["outcome"] for r in results] == ["filed", "unsent"]
    assert "cannot reach the mail server" in results[1]["reason"]
    assert results[1]["reason"].endswith("it is tried again later")
    assert (folder.root / "Outbox" / "Storage & Transportation").iterdir()
    [queued] = mails(folder)
    assert (queued["attempts"], queued["sent_at"], queued["next_try_at"]) == (
        1,
        None,
        "2026-11-20T10:01:00",
    )
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert folder.ingest("2026-11-20T10:00:30") == []  # its pause is not over
        assert box.messages == []
        assert [r["outcome"] for r in folder.ingest("2026-11-20T10:01")] == ["mailed"]
        assert len(box.messages) == 1
        assert folder.ingest("2026-11-20T11:00") == []  # sent once
    finally:
        server.stop()
    assert mails(folder)[0]["sent_at"] == "2026-11-20T10:01:00"


def test_a_temporary_refusal_is_retried_and_a_permanent_one_given_up(
    folder: Folder, mailbox: Mailbox
) -> None:
    mailbox.answers = ["451 4.3.0 Mailbox busy, try again"]
    results = established(folder)
    assert results[1]["outcome"] == "unsent"
    assert "the server answered 451" in results[1]["reason"]
    assert [r["outcome"] for r in folder.ingest("2026-11-20T10:05")] == ["mailed"]
    mailbox.answers = ["550 5.1.1 No such user"]
    results = established(folder, "2026-11-20T11:00", Customer="Beta Glass")
    assert results[1]["outcome"] == "unsent"
    assert results[1]["reason"].endswith("given up")
    assert folder.ingest("2026-11-21T11:00") == []  # given up: not tried again
    assert [(m["attempts"], m["given_up"]) for m in mails(folder)] == [(2, 0), (1, 1)]
    # the administrator sees it, mends the address, and has it sent again
    listed = folder.run("mail", str(folder.root))
    assert "given up CC-2026-0002 Corrective and Preventive Action Report: Beta Glass" in listed
    assert "the server answered 550 5.1.1 No such user" in listed
    folder.run("mail", str(folder.root), "--retry", "--now", "2026-11-21T12:00")
    assert [r["outcome"] for r in folder.ingest("2026-11-21T12:00")] == ["mailed"]
    assert "Every mail has been sent." in folder.run("mail", str(folder.root))


def test_the_daily_digest_lists_overdue_and_due_soon_once_a_day(
    folder: Folder, mailbox: Mailbox
) -> None:
    folder.setting("digest_to = []", f'digest_to = ["{MANAGER}"]')
    folder.setting("digest_departments = false", "digest_departments = true")
    established(folder, "2026-11-20T10:00")  # never confirmed: confirm due 23 Nov
    established(
        folder,
        "2026-11-24T10:00",
        Customer="Beta Glass",
        **{"Complaint date": "2026-11-24", "Confirmed to customer at": "2026-11-24 11:00"},
    )
    mailbox.messages.clear()
    assert folder.ingest("2026-11-25T07:59") == []  # before 08:00
    digests = folder.ingest("2026-11-25T08:00")
    # the manager's, and the department's own part; the Customer Window has nothing due
    assert [(d["outcome"], d["reason"]) for d in digests] == [
        ("mailed", f"to {MANAGER}"),
        ("mailed", f"to {LOGISTICS}"),
    ]
    message, department = mailbox.messages
    assert message["Subject"] == "Complaints 2026-11-25: 1 overdue, 0 due soon"
    assert str(department["Subject"]).strip() == (  # a long header arrives folded
        "Storage & Transportation: Complaints 2026-11-25: 1 overdue, 0 due soon"
    )
    assert "for Storage & Transportation: 1 overdue" in department.get_body().get_content()  # type: ignore[union-attr]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    overdue, soon = text.split("DUE SOON")
    assert "CC-2026-0001  confirm was due 2026-11-23 23:59" in overdue
    assert "waiting for Corrective and Preventive Action Report" in overdue
    assert "CC-2026-0002" not in text  # its next deadline is 1 December, beyond two days
    assert "Nothing due in the next 2 days." in soon
    # The archive chain's head, kept in the mail where the share's writers cannot reach
    # it, checks the archive up to it.
    [head] = re.findall(r"ARCHIVE CHAIN\r?\n  Event \d+, head ([0-9a-f]{64})\r?\n", text)
    assert "ARCHIVE CHAIN" not in department.get_body().get_content()  # type: ignore[union-attr]
    assert "anchor" in folder.run("verify", str(folder.root), "--anchor", head).lower()
    assert folder.ingest("2026-11-25T12:00") == []  # once a day
    assert [r["outcome"] for r in folder.ingest("2026-11-30T08:30")] == ["mailed", "mailed"]
    text = mailbox.messages[-2].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "CC-2026-0002  actions due 2026-12-01 23:59" in text.split("DUE SOON")[1]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            'security = "none"',
            'security = "tls"',
            "[mail] security is 'tls', not one of none, starttls, ssl; "
            'write it like security = "starttls"',
        ),
        (
            f'"Storage & Transportation" = "{LOGISTICS}"',
            '"Shipping" = "x@example.com"',
            "[mail.departments] Shipping is not a department of [departments]; "
            'write it like "Quality Management" = "quality@example.com"',
        ),
        (
            'digest_at = "08:00"',
            'digest_at = "eight"',
            "[mail] digest_at is 'eight', not a time; write it like digest_at = \"08:00\"",
        ),
        (
            "digest_to = []",
            'digest_to = ["quality manager"]',
            "[mail] digest_to is ['quality manager'], not e-mail addresses; "
            'write it like ["quality@example.com"]',
        ),
        (
            "weekly = true",
            'weekly = "yes"',
            "[reports] weekly is 'yes', not true or false; write it like weekly = false",
        ),
    ],
)
def test_mail_and_report_settings_are_checked_and_name_the_fix(
    folder: Folder, old: str, new: str, said: str
) -> None:
    if old == "weekly = true":
        folder.setting("weekly = false", "weekly = true")  # the test folders turn it off
    folder.setting(old, new)
    result = CliRunner().invoke(cli, ["ingest", str(folder.root)])
    assert result.exit_code == 2
    assert f"{folder.root / 'closedloop.toml'}: {said}" in result.stderr


def test_the_service_files_on_while_the_mail_server_hangs_then_mails(
    tmp_path: Path,
) -> None:
    """A server that accepts the connection and never answers: filing goes on; the mail
    waits in the queue; a working server later gets it."""
    folder = Folder(tmp_path / "share")
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen()
    results: list[FileResult] = []
    w = service(folder, hanging.getsockname()[1], timeout=5, on_result=results.append)
    w.start()
    try:
        for n in range(3):
            folder.save(
                folder.blank("registration"),
                {**REGISTRATION, "Customer": f"Customer {n}", "Complaint established": "yes"},
            )
        until(lambda: len(results) == 3, timeout=20)
        assert {r.outcome for r in results} == {"filed"}
        # filed while the first send still waits for the server's greeting
        assert [(m["attempts"], m["sent_at"]) for m in mails(folder)] == [(0, None)] * 3
    finally:
        w.stop()
        hanging.close()
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        # later, past every retry pause (an hour past the real clock the first half ran on)
        later = datetime.now() + timedelta(hours=1)
        w = service(folder, server.port, now=lambda: later)
        w.start()
        try:
            until(lambda: len(box.messages) == 3, timeout=30)
        finally:
            w.stop()
    finally:
        server.stop()
    assert sorted(m["Subject"].split(": ")[1] for m in box.messages) == [
        "Customer 0",
        "Customer 1",
        "Customer 2",
    ]


def service(folder: Folder, port: int, timeout: float = 10, **options: Any) -> Watcher:
    """The real service on `folder`, mailing Storage & Transportation through `port`."""
    mail = MailSettings(
        host="127.0.0.1",
        port=port,
        departments={"storage_transportation": (LOGISTICS,)},
        timeout=timeout,
        digest_departments=False,  # the forms' mails only
    )
    policy = load_settings(folder.root).policy
    settings = quiet_settings(policy=policy, window=0.3, rescan=60, mail=mail)
    return Watcher(folder.root, settings, mail_every=0.2, **options)


def test_doctor_checks_the_mail_server(folder: Folder, port: int) -> None:
    code, found = doctor(folder.root)  # nothing listens on the port
    assert code == 1
    status, detail = found["mail"]
    assert status == "fail"
    assert "cannot reach the mail server" in detail and f"127.0.0.1:{port}" in detail
    assert "correct host, port, security and the login in [mail]" in detail
    server = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        code, found = doctor(folder.root)
    finally:
        server.stop()
    assert found["mail"] == ("ok", f"127.0.0.1:{port} answers; 0 mails wait to be sent")


def test_a_mail_that_cannot_be_made_is_given_up_and_the_rest_go(
    folder: Folder, mailbox: Mailbox, port: int
) -> None:
    now = datetime(2026, 11, 20, 10, 0)
    with Registry(folder.root / ".closedloop" / "registry.sqlite") as registry:
        for key, subject in (("bad", "line\nbreak"), ("good", "fine")):
            registry.queue_mail(Mail("digest", key, None, MANAGER, subject, "body", None, now, now))
        sent = send_due(registry, folder.root / "Archive", load_settings(folder.root).mail, now)
    assert [(s.subject, s.gave_up) for s in sent] == [("line\nbreak", True), ("fine", False)]
    assert "the message cannot be made" in (sent[0].error or "")
    assert [m["Subject"] for m in mailbox.messages] == ["fine"]


def test_the_watch_command_mails_what_it_issues(folder: Folder, mailbox: Mailbox) -> None:
    """The settings file alone turns e-mail on for the real service process."""
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    proc = subprocess.Popen(
        [*cmd, "watch", str(folder.root), "--window", "0.3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        log = folder.root / ".closedloop" / "watch.log"
        until(lambda: log.exists() and "watching" in log.read_text())
        folder.save(folder.blank("registration"), {**REGISTRATION, "Complaint established": "yes"})
        until(lambda: len(mailbox.messages) == 1, timeout=30)
        assert mailbox.envelopes[0].rcpt_tos == [LOGISTICS]
        until(
            lambda: "mailed CC-2026-0001 Corrective and Preventive Action Report" in log.read_text()
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


# A customer's name made to add headers, and the name the subject shows instead: decoded
# (an encoded word, even one inside another), every control character and line or
# paragraph separator made a space.
HOSTILE = {
    "=?utf-8?q?ACME=0D=0ABcc:_evil@example.com?=": "ACME Bcc: evil@example.com",
    "=?utf-8?b?"
    + base64.b64encode(b"ACME\r\nReply-To: evil@example.com").decode()
    + "?=": "ACME Reply-To: evil@example.com",
    "ACME=?utf-8?q?=0D=0ABcc:_evil@example.com?=": "ACME Bcc: evil@example.com",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FACME=3D0D=3D0ABcc:=5Fevil@example.com=3F=3D?=": (
        "ACME Bcc: evil@example.com"
    ),
    "ACME\r\nBcc: evil@example.com": "ACME Bcc: evil@example.com",
    "=?utf-8?q?ACME=00=1B[31m=7F=C2=85=C2=9B=E2=80=A8=E2=80=A9Bcc:_evil@example.com?=": (
        "ACME [31m Bcc: evil@example.com"
    ),
    "ACME\u2028Bcc: evil@example.com\u2029Reply-To: evil@example.com\x85X-Evil: \x9b1": (
        "ACME Bcc: evil@example.com Reply-To: evil@example.com X-Evil: 1"
    ),
}


def header_names(raw: bytes) -> list[str]:
    """The headers as they went over the wire: a folded line goes on its header."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r" not in head.replace(b"\r\n", b"") and b"\n" not in head.replace(b"\r\n", b"")
    return [
        line.split(b":", 1)[0].decode() for line in head.split(b"\r\n") if line[:1] not in b" \t"
    ]


def test_a_name_made_to_add_mail_headers_stays_in_the_subject(
    folder: Folder, mailbox: Mailbox
) -> None:
    for name in HOSTILE:
        folder.save(
            folder.blank("registration"),
            {**REGISTRATION, "Complaint established": "yes", "Customer": name},
        )
    results = folder.ingest("2026-11-20T10:00")
    assert [r["outcome"] for r in results] == ["filed"] * len(HOSTILE) + ["mailed"] * len(HOSTILE)
    assert len(mailbox.messages) == len(HOSTILE)
    title = "Corrective and Preventive Action Report"
    subjects = []
    for message, envelope in zip(mailbox.messages, mailbox.envelopes, strict=True):
        assert envelope.rcpt_tos == [LOGISTICS]  # nobody else was sent it
        assert header_names(envelope.original_content or b"") == [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type",
        ]
        assert (message["From"], message["To"]) == ("closedloop@example.com", LOGISTICS)
        subjects.append(str(message["Subject"]))
    # the cases are numbered in the order the forms were saved
    assert subjects == [
        f"CC-2026-{n:04d} {title}: {shown}" for n, shown in enumerate(HOSTILE.values(), 1)
    ]
    assert [m["subject"] for m in mails(folder)] == subjects  # queued clean, listed clean


BREAKS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Zl", "Zp")]


@pytest.mark.parametrize("form", ["raw", "q", "b"])
def test_no_control_character_ends_a_header_however_it_is_written(form: str) -> None:
    """Every control character and separator, typed, or in an encoded word: the header
    registry sends one Subject that shows the name with a space for it."""
    for c in BREAKS:
        typed = f"ACME{c}Bcc: evil@example.com"
        if form == "q":
            typed = "=?utf-8?q?" + "".join(f"={b:02X}" for b in typed.encode()) + "?="
        elif form == "b":
            typed = "=?utf-8?b?" + base64.b64encode(typed.encode()).decode() + "?="
        message = EmailMessage(policy=email.policy.SMTP)
        message["Subject"] = header_text(typed)
        raw = message.as_bytes()
        assert header_names(raw) == ["Subject"], (hex(ord(c)), raw)
        got = email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
        assert str(got) == "ACME Bcc: evil@example.com", hex(ord(c))


def test_header_text_bounds_a_huge_name_and_keeps_its_end() -> None:
    assert header_text("ACME " * 2_000_000 + "Windows", 60) == (
        "ACME ACME ACME ACME ACME ACME ACME ACME…ME ACME ACME Windows"
    )
    assert header_text("Müller & Söhne  GmbH") == "Müller & Söhne GmbH"
    assert header_text("caf\udce9") == "caf\ufffd"  # a byte that was not UTF-8


def test_a_queued_subject_holding_an_encoded_line_break_is_not_sent(
    folder: Folder, mailbox: Mailbox
) -> None:
    """Queued by hand or by an older version: never sent as it is, given up, and said."""
    now = datetime(2026, 11, 20, 10, 0)
    hidden = "Hello =?utf-8?q?=0D=0ABcc:_evil@example.com?="
    with Registry(folder.root / ".closedloop" / "registry.sqlite") as registry:
        registry.queue_mail(Mail("digest", "bad", None, MANAGER, hidden, "body", None, now, now))
        [sent] = send_due(registry, folder.root / "Archive", load_settings(folder.root).mail, now)
    assert sent.gave_up
    assert sent.error == (
        "the message cannot be made (the subject "
        "Hello =?utf-8?q?=0D=0ABcc:_evil@example.com?= holds a line break or code)"
    )
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@example.com, Quality <q@example.com>", ["a@example.com", "Quality <q@example.com>"]),
        ("closedloop", ["closedloop"]),
        ("a@example.com\r\nBcc: evil@example.com", None),
        ("a@example.com\u2028b@example.com", None),
        ("", None),
        ("x@", None),
    ],
)
def test_addresses_are_the_header_registrys(value: str, expected: list[str] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not a list of e-mail addresses"):
            address_list(value)
    else:
        assert [str(a) for a in address_list(value)] == expected
