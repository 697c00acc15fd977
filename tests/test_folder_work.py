"""The folder shows the work: an outbox holds what its department still owes (the rest in
Done/, a To do page over it), and Quarantine what still needs a person (settled refusals
in Settled/); a refusal is mailed and makes `ingest` exit 1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.scenario import REGISTRATION, Folder
from tests.test_mail import LOGISTICS, Mailbox, with_mail
from tests.test_scenarios import ACTIONS, CAPA_DONE, register

LOGISTICS_BOX = "Storage & Transportation"


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "share")


@pytest.fixture
def mailed(tmp_path: Path, port: int, mailbox: Mailbox) -> Folder:
    """A shared folder that mails through the loopback server `mailbox` listens on."""
    return with_mail(Folder(tmp_path / "share"), port)


def top(folder: Folder, department: str) -> list[str]:
    """The files at the top of a department's outbox (what it still owes, and its page)."""
    return sorted(p.name for p in (folder.root / "Outbox" / department).iterdir() if p.is_file())


def todo(folder: Folder, department: str) -> str:
    return (folder.root / "Outbox" / department / "To do.html").read_text(encoding="utf-8")


def rows(page: str) -> list[str]:
    """The case numbers of the page's rows, in order, with 'overdue' for an overdue one."""
    return [
        m[2] + (" overdue" if m[1] else "")
        for m in re.finditer(
            r'<tr( class="overdue")?>\s*<td[^>]*>.*?</td>\s*<td[^>]*>(CC-\d{4}-\d{4})', page, re.S
        )
    ]


def test_a_case_played_to_closure_leaves_no_outbox_copy_of_it_at_the_top(folder: Folder) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    # triage done on the registration form: the customer window owes nothing more
    assert top(folder, "Customer Window") == ["To do.html"]
    assert top(folder, LOGISTICS_BOX) == [
        f"{case_id} Corrective and Preventive Action Report.docx",
        "To do.html",
    ]
    assert rows(todo(folder, LOGISTICS_BOX)) == [case_id]
    folder.save(folder.outbox(LOGISTICS_BOX, case_id, "capa"), CAPA_DONE, ACTIONS)
    [capa] = folder.ingest("2026-11-27T09:00")
    assert capa["outcome"] == "filed", capa
    assert top(folder, LOGISTICS_BOX) == ["To do.html"]
    assert rows(todo(folder, LOGISTICS_BOX)) == []
    assert "Nothing waits for this department." in todo(folder, LOGISTICS_BOX)
    done = folder.root / "Outbox" / LOGISTICS_BOX / "Done"
    assert [p.name for p in done.iterdir()] == [
        f"{case_id} Corrective and Preventive Action Report.docx"
    ]
    status = folder.run("status", str(folder.root), case_id, "--now", "2026-11-27T09:00")
    assert (
        f"Outbox/{LOGISTICS_BOX}/Done/{case_id} Corrective and Preventive Action Report.docx"
        in status
    )
    folder.save(
        folder.outbox("Customer Window", case_id, "satisfaction_survey"),
        {"Customer accepts the result": "Yes"},
    )
    [survey] = folder.ingest("2026-11-28T09:00")
    assert survey["outcome"] == "filed", survey
    assert folder.status(case_id, "2026-11-28T09:00")["state"] == "closed"
    for department in ("Customer Window", LOGISTICS_BOX):
        assert top(folder, department) == ["To do.html"], department
        assert case_id not in todo(folder, department)
    # kept, never deleted: every form issued for the case is in a Done folder
    kept = sorted(p.name for p in (folder.root / "Outbox").glob("*/Done/*"))
    assert kept == sorted(
        f"{case_id} {title}.docx"
        for title in (
            "Corrective and Preventive Action Report",
            "Customer Satisfaction Survey Form",
        )
    )


def test_the_to_do_page_lists_what_waits_overdue_first(folder: Folder) -> None:
    late = register(
        folder,
        "2026-11-02T09:00",
        Customer="Early Bird",
        **{"Complaint date": "2026-11-02", "Complaint established": "yes"},
    )
    fresh = register(
        folder, "2026-11-20T10:00", Customer="Late Comer", **{"Complaint established": "yes"}
    )
    folder.ingest("2026-11-20T11:00")  # a look at the folder: the page is written as of now
    page = todo(folder, LOGISTICS_BOX)
    assert rows(page) == [f"{late} overdue", fresh]
    assert "Early Bird" in page and "Late Comer" in page
    assert "Corrective and Preventive Action Report" in page
    assert f'href="{late}%20Corrective%20and%20Preventive%20Action%20Report.docx"' in page
    assert "1 overdue" in page


def test_a_corrected_file_settles_its_refusal(folder: Folder) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    capa = folder.outbox(LOGISTICS_BOX, case_id, "capa")
    folder.save(capa, {"Root cause": "Foam too thin"}, name="capa.docx")  # no action rows
    [refused] = folder.ingest("2026-11-21T09:00")
    assert refused["outcome"] == "refused"
    quarantine = folder.root / "Quarantine"
    assert sorted(p.name for p in quarantine.iterdir()) == [
        "capa.docx",
        "capa.docx - what to fix.txt",
    ]
    folder.save(capa, CAPA_DONE, ACTIONS, name="capa.docx")  # corrected, saved again
    [filed] = folder.ingest("2026-11-27T09:00")
    assert filed["outcome"] == "filed", filed
    assert [p.name for p in quarantine.iterdir()] == ["Settled"]
    assert sorted(p.name for p in (quarantine / "Settled").iterdir()) == [
        "capa.docx",
        "capa.docx - what to fix.txt",
    ]


def test_a_file_of_the_same_case_and_form_settles_a_refusal_under_another_name(
    folder: Folder,
) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    capa = folder.outbox(LOGISTICS_BOX, case_id, "capa")
    folder.save(capa, {"Root cause": "Foam too thin"}, name="first try.docx")
    assert folder.ingest("2026-11-21T09:00")[0]["outcome"] == "refused"
    folder.save(capa, CAPA_DONE, ACTIONS, name="second try.docx")
    assert folder.ingest("2026-11-27T09:00")[0]["outcome"] == "filed"
    quarantine = folder.root / "Quarantine"
    assert [p.name for p in quarantine.iterdir()] == ["Settled"]


def test_a_refusal_is_mailed_to_the_department_the_form_was_issued_to(
    mailed: Folder, mailbox: Mailbox
) -> None:
    folder = mailed
    folder.save(folder.blank("registration"), {**REGISTRATION, "Complaint established": "yes"})
    filed, sent = folder.ingest("2026-11-20T10:00")  # the CAPA, and its mail
    assert (filed["outcome"], sent["outcome"]) == ("filed", "mailed")
    case_id = filed["case_id"]
    mailbox.messages.clear()
    capa = folder.outbox(LOGISTICS_BOX, case_id, "capa")
    folder.save(capa, {"Root cause": "Foam too thin"}, name="capa.docx")
    results = folder.ingest("2026-11-21T09:00")
    assert [r["outcome"] for r in results] == ["refused", "mailed"]
    [message] = mailbox.messages
    assert message["To"] == LOGISTICS
    assert message["Subject"] == f"Refused: capa.docx ({case_id})"
    body = message.get_content()
    assert "Corrective actions: fill in at least one row" in body
    assert "Quarantine/capa.docx" in body
    assert "move to Quarantine/Settled/ by themselves" in body


def test_a_registration_refused_is_mailed_to_the_customer_window(
    mailed: Folder, mailbox: Mailbox
) -> None:
    folder = mailed
    folder.save(folder.blank("registration"), {**REGISTRATION, "Customer": ""}, name="new.docx")
    assert [r["outcome"] for r in folder.ingest("2026-11-21T09:00")] == ["refused", "mailed"]
    [message] = mailbox.messages
    assert message["To"] == "window@example.com"
    assert message["Subject"] == "Refused: new.docx"
    assert "Customer: this is required; fill it in" in message.get_content()


def test_the_service_keeps_the_to_do_pages_current(tmp_path: Path) -> None:
    from app.results import FileResult
    from tests.settings import quiet_settings
    from tests.test_watch import until
    from watcher.service import Watcher

    folder = Folder(tmp_path / "share")
    results: list[FileResult] = []
    # rescans an hour apart: the page follows the burst, not the rescan
    w = Watcher(folder.root, quiet_settings(window=0.2, rescan=3600), on_result=results.append)
    w.start()
    try:
        folder.save(folder.blank("registration"), {**REGISTRATION, "Complaint established": "yes"})
        page = folder.root / "Outbox" / LOGISTICS_BOX / "To do.html"
        until(lambda: page.exists() and "CC-2026-0001" in page.read_text(encoding="utf-8"))
        folder.save(folder.outbox(LOGISTICS_BOX, "CC-2026-0001", "capa"), CAPA_DONE, ACTIONS)
        until(lambda: "Nothing waits for this department." in page.read_text(encoding="utf-8"))
    finally:
        w.stop()
    assert [r.outcome for r in results] == ["filed", "filed"]
    assert top(folder, LOGISTICS_BOX) == ["To do.html"]


def test_the_digest_and_the_weekly_report_count_refusals_still_waiting(
    mailed: Folder, mailbox: Mailbox
) -> None:
    from openpyxl import load_workbook

    from tests.test_mail import MANAGER

    folder = mailed
    folder.setting("digest_to = []", f'digest_to = ["{MANAGER}"]')
    folder.save(folder.blank("registration"), {**REGISTRATION, "Customer": ""}, name="a.docx")
    folder.save(folder.blank("registration"), {**REGISTRATION, "Customer": ""}, name="b.docx")
    assert [r["outcome"] for r in folder.ingest("2026-11-20T07:00")] == [
        "refused",
        "refused",
        "mailed",
        "mailed",
    ]
    mailbox.messages.clear()
    folder.ingest("2026-11-21T08:00")  # the digest's hour
    [digest] = [m for m in mailbox.messages if m["To"] == MANAGER]
    assert digest["Subject"] == "Complaints 2026-11-21: 0 overdue, 0 due soon, 2 refused"
    text = digest.get_content()
    assert "2 refused files waiting in Quarantine" in text
    waiting = text.split("REFUSED, WAITING IN QUARANTINE")[1]
    assert "a.docx, refused 2026-11-20 07:00" in waiting and "b.docx" in waiting
    assert "Customer: this is required; fill it in" in waiting
    folder.run(
        "report", "weekly", str(folder.root), "--week", "2026-W47", "--now", "2026-11-23T08:00"
    )
    ws = load_workbook(folder.root / "Reports" / "2026-W47 Weekly Report.xlsx")["Charts"]
    figures = {ws.cell(row=4, column=c).value: ws.cell(row=5, column=c).value for c in range(1, 20)}
    assert figures["Refused, waiting at the end"] == 2


def note_of(folder: Folder, name: str) -> str:
    return (folder.root / "Quarantine" / f"{name} - what to fix.txt").read_text(encoding="utf-8")


def test_a_note_lists_every_problem_at_once_and_where_the_right_form_is(folder: Folder) -> None:
    # A CAPA taken from Blank Forms: no case number, and a date that is not one.
    folder.save(
        folder.blank("capa"),
        {"Root cause": "Foam too thin", "Containment done at": "yesterday-ish"},
        name="blank capa.docx",
    )
    [refused] = folder.ingest("2026-11-21T09:00")
    assert refused["outcome"] == "refused"
    note = note_of(folder, "blank capa.docx")
    assert "'yesterday-ish' is not a date and time" in note
    assert "has no case number" in note  # in the same note, not the next one
    assert "look in Outbox/<department>/ for it" in note
    # A CAPA of a case, with a gap: the note names the copy sent for the case.
    case_id = register(folder, **{"Complaint established": "yes"})
    folder.save(folder.outbox(LOGISTICS_BOX, case_id, "capa"), {"Root cause": "x"}, name="gap.docx")
    folder.ingest("2026-11-21T10:00")
    assert (
        f"A fresh copy of the form as it was sent is Outbox/{LOGISTICS_BOX}/{case_id} Corrective and "
        "Preventive Action Report.docx." in " ".join(note_of(folder, "gap.docx").split())
    )


def test_a_settling_cut_short_is_finished_at_the_next_look(folder: Folder) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    capa = folder.outbox(LOGISTICS_BOX, case_id, "capa")
    folder.save(capa, {"Root cause": "Foam too thin"}, name="capa.docx")
    assert folder.ingest("2026-11-21T09:00")[0]["outcome"] == "refused"
    quarantine = folder.root / "Quarantine"
    (quarantine / "Settled").write_text("someone's file")  # Settled/ unusable for a while
    folder.save(capa, CAPA_DONE, ACTIONS, name="capa.docx")
    assert folder.ingest("2026-11-27T09:00")[0]["outcome"] == "filed"
    assert "capa.docx" in {p.name for p in quarantine.iterdir()}  # could not be settled yet
    (quarantine / "Settled").unlink()
    assert folder.ingest("2026-11-27T10:00") == []
    assert sorted(p.name for p in quarantine.iterdir()) == ["Settled"]
    assert sorted(p.name for p in (quarantine / "Settled").iterdir()) == [
        "capa.docx",
        "capa.docx - what to fix.txt",
    ]


def test_a_refused_file_never_takes_the_name_of_settled(folder: Folder) -> None:
    (folder.root / "Inbox" / "Settled").write_bytes(b"not a form")
    [refused] = folder.ingest("2026-11-21T09:00")
    assert refused["outcome"] == "refused"
    quarantine = folder.root / "Quarantine"
    assert not (quarantine / "Settled").exists()  # the name is kept for settled refusals
    assert (quarantine / "Settled (refused)").is_file()
    assert (quarantine / "Settled (refused) - what to fix.txt").is_file()


def test_settled_files_keep_their_own_notes_when_names_repeat(folder: Folder) -> None:
    def refuse(when: str, why: str) -> None:
        folder.save(
            folder.blank("registration"),
            {**REGISTRATION, "Complaint established": why},
            name="same.docx",
        )
        assert folder.ingest(when)[0]["outcome"] == "refused"

    refuse("2026-11-20T09:00", "Maybe")
    folder.save(folder.blank("registration"), REGISTRATION, name="same.docx")
    assert folder.ingest("2026-11-20T10:00")[0]["outcome"] == "filed"  # settles the first
    refuse("2026-11-20T11:00", "Perhaps")
    folder.save(
        folder.blank("registration"), {**REGISTRATION, "Customer": "Other"}, name="same.docx"
    )
    assert folder.ingest("2026-11-20T12:00")[0]["outcome"] == "filed"  # and the second
    settled = folder.root / "Quarantine" / "Settled"
    assert sorted(p.name for p in settled.iterdir()) == [
        "same (2).docx",
        "same (2).docx - what to fix.txt",
        "same.docx",
        "same.docx - what to fix.txt",
    ]
    assert "'Maybe'" in (settled / "same.docx - what to fix.txt").read_text(encoding="utf-8")
    second = (settled / "same (2).docx - what to fix.txt").read_text(encoding="utf-8")
    assert "'Perhaps'" in second


def test_a_refusal_a_person_cleared_away_no_longer_waits(folder: Folder) -> None:
    folder.save(folder.blank("registration"), {**REGISTRATION, "Customer": ""}, name="a.docx")
    assert folder.ingest("2026-11-20T09:00")[0]["outcome"] == "refused"
    for entry in (folder.root / "Quarantine").iterdir():
        entry.unlink()  # a person read the note and threw the file away
    assert folder.ingest("2026-11-20T10:00") == []
    from filing.registry import Registry

    with Registry(folder.root / ".closedloop" / "registry.sqlite", create=False) as registry:
        assert registry.quarantined_waiting() == []


def test_a_second_copy_waits_for_a_person_whatever_is_filed_after_it(folder: Folder) -> None:
    folder.save(folder.blank("registration"), REGISTRATION, name="first.docx")
    [first] = folder.ingest("2026-11-20T09:00")
    (folder.root / "Inbox" / "copy.docx").write_bytes(
        (folder.root / "Archive")
        .joinpath(
            next(p.name for p in (folder.root / "Archive").iterdir() if p.name.startswith("CC-")),
            "01 Complaint Registration Form v1.docx",
        )
        .read_bytes()
    )
    assert folder.ingest("2026-11-20T10:00")[0]["outcome"] == "refused"
    triage = folder.outbox("Customer Window", first["case_id"], "registration")
    folder.save(triage, {"Complaint established": "No", "Reason for the decision": "Not ours"})
    assert folder.ingest("2026-11-20T11:00")[0]["outcome"] == "filed"
    assert (folder.root / "Quarantine" / "copy.docx").is_file()  # still a person's to clear


@pytest.mark.budget(seconds=10, megabytes=500)
@pytest.mark.parametrize("what", ["a FIFO", "a huge file"])
def test_a_to_do_page_someone_replaced_is_written_anew_without_reading_it(
    tmp_path: Path, what: str
) -> None:
    import os

    folder = Folder(tmp_path / "share")
    page = folder.root / "Outbox" / LOGISTICS_BOX / "To do.html"
    if what == "a FIFO":
        os.mkfifo(page)  # read, it would hang the pass
    else:
        with page.open("wb") as fh:  # sparse: 8 GB that a whole read would try to hold
            fh.truncate(8 * 2**30)
    register(folder, **{"Complaint established": "yes"})
    assert page.is_file() and "CC-2026-0001" in page.read_text(encoding="utf-8")


def _quarantined(folder: Folder) -> dict[str, bytes]:
    quarantine = folder.root / "Quarantine"
    return {p.name: p.read_bytes() for p in quarantine.iterdir() if p.is_file()}


def test_a_refused_file_named_like_an_earlier_note_takes_neither_place(
    folder: Folder,
) -> None:
    inbox = folder.root / "Inbox"
    (inbox / "report.docx - what to fix.txt").write_bytes(b"my own notes about report.docx")
    assert folder.ingest("2026-11-21T09:00")[0]["outcome"] == "refused"
    (inbox / "report.docx").write_bytes(b"PK\x03\x04garbage")
    assert folder.ingest("2026-11-21T10:00")[0]["outcome"] == "refused"
    kept = _quarantined(folder)
    # Each refused file is kept, whole, beside its own note.
    assert kept["report.docx - what to fix.txt"] == b"my own notes about report.docx"
    assert kept["report (2).docx"] == b"PK\x03\x04garbage"
    assert sorted(kept) == [
        "report (2).docx",
        "report (2).docx - what to fix.txt",
        "report.docx - what to fix.txt",
        "report.docx - what to fix.txt - what to fix.txt",
    ]


def test_a_refused_file_and_its_note_saved_back_together_keep_each_its_own(
    folder: Folder,
) -> None:
    inbox = folder.root / "Inbox"
    (inbox / "report.docx").write_bytes(b"PK\x03\x04garbage")
    assert folder.ingest("2026-11-21T09:00")[0]["outcome"] == "refused"
    quarantine = folder.root / "Quarantine"
    first_note = (quarantine / "report.docx - what to fix.txt").read_bytes()
    # A clerk drags both back into the Inbox, and they are refused again in one pass.
    for name in ("report.docx", "report.docx - what to fix.txt"):
        (quarantine / name).rename(inbox / name)
    results = folder.ingest("2026-11-21T10:00")
    assert [r["outcome"] for r in results] == ["refused", "refused"]
    kept = _quarantined(folder)
    assert len(kept) == 4, sorted(kept)
    assert b"PK\x03\x04garbage" in kept.values() and first_note in kept.values()
    notes = [n for n in kept if n.endswith(" - what to fix.txt") and kept[n] != first_note]
    files = [n for n in kept if n not in notes]
    assert sorted(f"{f} - what to fix.txt" for f in files) == sorted(notes)


def test_a_done_folder_made_a_link_is_never_moved_into(tmp_path: Path) -> None:
    """A form no longer owed goes into Done/ beside it. The look refuses to start when a
    Done/ is a link; one swapped for a link while the look goes on is never moved
    through either: the form stays where it was, and nothing reaches the link."""
    from app.jobs.outbox import _to_done

    root, outside = tmp_path / "share", tmp_path / "outside"
    outbox = root / "Outbox" / "Sales"
    outbox.mkdir(parents=True)
    outside.mkdir()
    (outbox / "CC-2026-0001 Contract Review Form.docx").write_bytes(b"form")
    (outbox / "Done").symlink_to(outside, target_is_directory=True)
    assert not _to_done(root, "Outbox/Sales/CC-2026-0001 Contract Review Form.docx", "Done")
    assert list(outside.iterdir()) == []
    (outbox / "Done").unlink()
    assert _to_done(root, "Outbox/Sales/CC-2026-0001 Contract Review Form.docx", "Done")
    assert (outbox / "Done" / "CC-2026-0001 Contract Review Form.docx").read_bytes() == b"form"
