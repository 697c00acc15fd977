"""Each path of the case rules, played through the shared folder and the real CLI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests import scenario
from tests.office import LibreOffice
from tests.scenario import REGISTRATION, Folder

# A CAPA records only what has happened when it is filed: its action done and its plan
# approved on the day the complaint came, the earliest day a test files one.
ACTIONS = (
    ["Action", "Owner", "Due", "Done on"],
    [["Redesign foam", "Li", "2026-11-27", "2026-11-20"]],
)
CAPA_DONE = {**scenario.CAPA_DONE, "Plan approved on": "2026-11-20"}


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "share")


def register(folder: Folder, now: str = "2026-11-20T10:00", **extra: str) -> str:
    folder.save(folder.blank("registration"), {**REGISTRATION, **extra})
    [result] = folder.ingest(now)
    assert result["outcome"] == "filed", result
    return str(result["case_id"])


def close_capa(
    folder: Folder, case_id: str, department: str, now: str, fmt: str = "docx"
) -> list[dict]:  # type: ignore[type-arg]
    folder.save(folder.outbox(department, case_id, "capa", fmt), CAPA_DONE, ACTIONS)
    return folder.ingest(now)


def closed_case(folder: Folder, **extra: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    """A complaint played to closure: registered (established), its CAPA done by Storage
    & Transportation, the customer's survey accepting it; the case, and what the last
    filing came to."""
    case_id = register(folder, **{"Complaint established": "yes", **extra})
    # Filed the day its last action was done (a date later than the filing is refused).
    close_capa(folder, case_id, "Storage & Transportation", "2026-11-26T09:00")
    folder.save(
        folder.outbox("Customer Window", case_id, "satisfaction_survey"),
        {"Customer accepts the result": "Yes"},
    )
    [result] = folder.ingest("2026-11-26T10:00")
    return case_id, result


def test_not_established_closes_the_case(folder: Folder) -> None:
    case_id = register(folder)
    assert folder.status(case_id, "2026-11-20T10:00")["state"] == "awaiting_triage"
    copy = folder.outbox("Customer Window", case_id, "registration")
    folder.save(
        copy,
        {
            "Complaint established": "No",
            "Reason for the decision": "Damage came from the customer's forklift",
            "Confirmed to customer at": "2026-11-20 15:00",
        },
    )
    [result] = folder.ingest("2026-11-20T16:00")
    assert (result["outcome"], result["case_id"], result["issued"]) == ("filed", case_id, [])
    status = folder.status(case_id, "2026-11-20T16:00")
    assert (status["state"], status["resolution"], status["outstanding"]) == (
        "closed",
        "not_established",
        [],
    )
    assert [(f["form"], f["version"]) for f in status["filed"]] == [
        ("registration", 1),
        ("registration", 2),
    ]
    deadlines = {d["name"]: d["status"] for d in status["deadlines"]}
    assert deadlines["confirm"] == "met"
    assert "actions" not in deadlines  # nothing to correct in a complaint not established


@pytest.mark.parametrize(
    ("hosts", "accessories", "department"), [("4", "14", "After-sales"), ("5", "2", "Production")]
)
def test_return_with_few_or_many_units(
    folder: Folder, hosts: str, accessories: str, department: str
) -> None:
    case_id = register(
        folder, **{"Customer asks for": "Return, repair", "Complaint established": "yes"}
    )
    folder.save(
        folder.outbox("Sales", case_id, "return_form"),
        {
            "Goods received back on": "2026-11-25",
            "Hosts returned (sets)": hosts,
            "Accessories returned (sets)": accessories,
        },
    )
    [result] = folder.ingest("2026-11-25T09:00")
    assert [(i["form"], i["department"]) for i in result["issued"]] == [
        ("return_tracking", department.lower().replace("-", "_"))
    ]
    tracking = folder.outbox(department, case_id, "return_tracking")
    folder.save(tracking, {"Shipped back on": "2026-11-30"})
    [result] = folder.ingest("2026-11-30T09:00")
    status = folder.status(case_id, "2026-11-30T09:00")
    assert status["outstanding"] == ["capa"]
    close_capa(folder, case_id, "Storage & Transportation", "2026-12-01T09:00")
    assert folder.status(case_id, "2026-12-01T09:00")["state"] == "awaiting_customer"
    assert folder.outbox("Customer Window", case_id, "satisfaction_survey").exists()


@pytest.mark.parametrize(("sets", "route"), [("10", "after_sales"), ("11", "rnd")])
def test_special_order_samples_by_after_sales_or_rnd(folder: Folder, sets: str, route: str) -> None:
    case_id = register(
        folder, **{"Category": "Special requirement", "Complaint established": "yes"}
    )
    status = folder.status(case_id, "2026-11-20T10:00")
    assert status["department"] == "sales" and status["outstanding"] == ["contract_review", "capa"]
    folder.save(
        folder.outbox("Sales", case_id, "contract_review"),
        {
            "Customer requirement": "Frame colour RAL 7016",
            "Quantity (sets)": sets,
            "Review decision": "Accepted",
        },
    )
    [result] = folder.ingest("2026-11-21T10:00")
    assert result["outcome"] == "filed" and result["reason"].endswith(f"samples by {route}")
    assert folder.status(case_id, "2026-11-21T10:00")["outstanding"] == ["capa"]


def test_rejection_registers_a_new_linked_case(folder: Folder) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    close_capa(
        folder,
        case_id,
        "Storage & Transportation",
        "2026-11-24T09:00",
    )
    folder.save(
        folder.outbox("Customer Window", case_id, "satisfaction_survey"),
        {"Customer accepts the result": "No", "Customer comments": "Still cracked"},
    )
    [result] = folder.ingest("2026-11-26T09:00")
    new_case = result["issued"][0]["file"].split("/")[-1].split(" ")[0]
    old, new = (
        folder.status(case_id, "2026-11-26T09:00"),
        folder.status(new_case, "2026-11-26T09:00"),
    )
    assert (old["state"], old["resolution"], old["links"]["reopened_as"]) == (
        "closed",
        "rejected",
        new_case,
    )
    assert (new["state"], new["links"]["reopens"]) == ("awaiting_triage", case_id)
    # the new registration comes pre-filled from the old one
    again = folder.outbox("Customer Window", new_case, "registration")
    folder.save(again, {"Complaint established": "Yes"})
    [result] = folder.ingest("2026-11-26T10:00")
    assert result["case_id"] == new_case and result["issued"][0]["form"] == "capa"


def test_deadlines_late_and_overdue_across_a_weekend_and_a_holiday(folder: Folder) -> None:
    # Received Wednesday 30 September 2026, the eve of China's National Day week.
    case_id = register(
        folder,
        now="2026-09-30T15:30",
        **{
            "Complaint date": "2026-09-30",
            "Goods received date": "2026-09-20",
            "Received at (date and time)": "2026-09-30 15:00",
        },
    )
    triage = folder.root.parent / "triage.docx"
    shutil.copyfile(folder.outbox("Customer Window", case_id, "registration"), triage)
    folder.save(triage, {"Complaint established": "yes"})
    folder.ingest("2026-09-30T16:00")
    # Confirmed to the customer after the holiday, and recorded then.
    folder.save(
        triage, {"Complaint established": "yes", "Confirmed to customer at": "2026-10-09 09:00"}
    )
    folder.ingest("2026-10-09T10:00")
    status = folder.status(case_id, "2026-10-16T09:00")
    deadlines = {d["name"]: d for d in status["deadlines"]}
    assert "containment" not in deadlines  # the product is at the customer
    assert deadlines["confirm"]["due"] == "2026-10-08T23:59:59"  # 1-7 October off
    assert deadlines["confirm"]["status"] == "late"
    assert (
        deadlines["actions"]["due"] == "2026-10-13T23:59:59"
    )  # 5 working days, Saturday 10th works
    assert deadlines["actions"]["status"] == "overdue"
    overdue = folder.run(
        "cases", str(folder.root), "--overdue", "--json", "--now", "2026-10-16T09:00"
    )
    assert case_id in overdue


def test_repeat_complaints_are_flagged(folder: Folder) -> None:
    first = register(folder)
    second = register(
        folder,
        now="2026-12-01T10:00",
        **{"Complaint date": "2026-12-01", "Goods received date": "2026-11-25"},
    )
    assert folder.status(second, "2026-12-01T10:00")["links"]["repeats"] == [first]


def test_refusals_go_to_quarantine_with_a_note(folder: Folder) -> None:
    case_id = register(folder)
    folder.save(
        folder.blank("satisfaction_survey"),
        {"Customer accepts the result": "yes"},
        name="survey.docx",
    )
    survey_no_case = folder.ingest("2026-11-20T11:00")[0]
    assert (
        survey_no_case["outcome"] == "refused" and "has no case number" in survey_no_case["reason"]
    )
    note = (folder.root / "Quarantine" / "survey.docx - what to fix.txt").read_text()
    assert "this Customer Satisfaction Survey Form has no case number." in note
    assert "Use the form closedloop sent for the case" in note

    copy = folder.outbox("Customer Window", case_id, "registration")
    folder.save(copy, {"Complaint established": "yes"}, name="triaged.docx")
    folder.ingest("2026-11-20T12:00")
    capa = folder.outbox("Storage & Transportation", case_id, "capa")
    survey = folder.root / "early survey.docx"
    from forms.definition import get_form
    from forms.writer import write_form

    write_form(get_form("satisfaction_survey"), "docx", survey, {"customer_accepts": True}, case_id)
    folder.save(survey, {}, name="early survey.docx")
    [early] = folder.ingest("2026-11-20T13:00")
    assert early["outcome"] == "refused"
    assert (
        f"case {case_id} is open; a Customer Satisfaction Survey Form is filed only after the CAPA and every other part are done."
        in early["reason"]
    )
    note = (folder.root / "Quarantine" / "early survey.docx - what to fix.txt").read_text()
    assert "The case waits for: Corrective and Preventive Action Report. File that first." in note

    write_form(
        get_form("capa"), "docx", folder.root / "unknown.docx", {"root_cause": "x"}, "CC-2026-0099"
    )
    folder.save(folder.root / "unknown.docx", {}, ACTIONS, name="unknown case.docx")
    [unknown] = folder.ingest("2026-11-20T14:00")
    assert "there is no case CC-2026-0099." in unknown["reason"]
    assert capa.exists()


def test_a_later_version_supersedes_and_the_same_bytes_are_a_duplicate(folder: Folder) -> None:
    case_id = register(folder, **{"Complaint established": "yes"})
    capa = folder.outbox("Storage & Transportation", case_id, "capa")
    first = folder.save(
        capa,
        {"Root cause": "Foam"},
        (ACTIONS[0], [["Redesign foam", "Li", "2026-11-27", ""]]),
        name="capa v1.docx",
    )
    kept = first.read_bytes()
    folder.ingest("2026-11-21T09:00")
    assert folder.status(case_id, "2026-11-21T09:00")["outstanding"] == ["capa"]
    (folder.root / "Inbox" / "capa again.docx").write_bytes(kept)
    [dup] = folder.ingest("2026-11-21T10:00")
    assert dup["outcome"] == "refused" and "the same file was already filed" in dup["reason"]
    assert (
        "Archive/CC-2026-0001 ACME Windows/02 Corrective and Preventive Action Report v1.docx"
        in dup["reason"]
    )
    close_capa(folder, case_id, "Storage & Transportation", "2026-11-22T09:00")
    status = folder.status(case_id, "2026-11-22T09:00")
    assert [(f["form"], f["version"]) for f in status["filed"]] == [
        ("registration", 1),
        ("capa", 1),
        ("capa", 2),
    ]
    assert status["state"] == "awaiting_customer"
    assert [i["form"] for i in status["issued"]].count("capa") == 1
    archived = sorted(
        p.name for p in (folder.root / "Archive" / "CC-2026-0001 ACME Windows").glob("0*")
    )
    assert archived == [
        "01 Complaint Registration Form v1.docx",
        "02 Corrective and Preventive Action Report v1.docx",
        "03 Corrective and Preventive Action Report v2.docx",
    ]


def test_excel_users_get_excel_and_late_complaints_need_an_override(folder: Folder) -> None:
    folder.save(
        folder.blank("registration", "xlsx"),
        {**REGISTRATION, "Goods received date": "2026-09-01"},
        name="late.xlsx",
    )
    [late] = folder.ingest("2026-11-20T10:00")
    assert (
        late["outcome"] == "refused" and "complaints are accepted within 30 days" in late["reason"]
    )
    folder.save(
        folder.root / "Quarantine" / "late.xlsx",
        {
            "Supervisor override (late complaint)": "Wang: long-standing customer",
            "Complaint established": "yes",
        },
        name="late fixed.xlsx",
    )
    [ok] = folder.ingest("2026-11-20T11:00")
    assert ok["outcome"] == "filed"
    assert all(i["file"].endswith(".xlsx") for i in ok["issued"])


def test_every_corpus_file_in_the_inbox_is_refused_or_left_alone(
    folder: Folder, corpus: Path
) -> None:
    from tests.test_corpus import EXPECTED

    for name in EXPECTED:
        source = corpus / name
        target = folder.root / "Inbox" / source.name
        if not target.exists():
            target.write_bytes(source.read_bytes())
    results = {r["file"]: r for r in folder.ingest("2026-11-20T10:00")}
    inbox = {p.name for p in (folder.root / "Inbox").iterdir()}
    assert inbox == {"~$xample.docx"}  # Word's lock file: not ours to move
    assert results["~$xample.docx"]["outcome"] == "ignored"
    refused = {name for name, r in results.items() if r["outcome"] == "refused"}
    assert refused == set(results) - {"~$xample.docx"}
    for name in refused:
        assert (folder.root / "Quarantine" / name).exists()
        note = (folder.root / "Quarantine" / f"{name} - what to fix.txt").read_text()
        assert "What is wrong:" in note and "What to do:" in note
    assert results["password.xls"]["reason"] == "it is protected with a password."
    assert results["password.xls"]["refusal"] == "encrypted"


@pytest.mark.libreoffice
def test_a_whole_case_with_every_form_resaved_in_libreoffice(
    folder: Folder, libreoffice: LibreOffice, tmp_path: Path
) -> None:
    def drop(
        source: Path, labels: dict[str, str], table: tuple[list[str], list[list[str]]] | None = None
    ) -> None:
        filled = folder.save(source, labels, table, name=f"filled {source.name}")
        [resaved] = libreoffice.resave([filled], tmp_path / f"lo-{filled.stem}")
        filled.unlink()
        (folder.root / "Inbox" / source.name).write_bytes(resaved.read_bytes())

    drop(
        folder.blank("registration", "xlsx"),
        {**REGISTRATION, "Complaint established": "Yes", "Customer asks for": "Return"},
    )
    [reg] = folder.ingest("2026-11-20T10:00")
    case_id = reg["case_id"]
    assert reg["outcome"] == "filed" and [i["form"] for i in reg["issued"]] == [
        "capa",
        "return_form",
    ]
    drop(
        folder.outbox("Sales", case_id, "return_form", "xlsx"),
        {
            "Goods received back on": "2026-11-23",
            "Hosts returned (sets)": "1",
            "Accessories returned (sets)": "0",
        },
    )
    drop(folder.outbox("Storage & Transportation", case_id, "capa", "xlsx"), CAPA_DONE, ACTIONS)
    results = folder.ingest("2026-11-23T10:00")
    assert [r["outcome"] for r in results] == ["filed", "filed"], results
    drop(
        folder.outbox("After-sales", case_id, "return_tracking", "xlsx"),
        {"Shipped back on": "2026-11-24"},
    )
    [tracking] = folder.ingest("2026-11-24T10:00")
    assert [i["form"] for i in tracking["issued"]] == ["satisfaction_survey"]
    drop(
        folder.outbox("Customer Window", case_id, "satisfaction_survey", "xlsx"),
        {"Customer accepts the result": "Yes"},
    )
    folder.ingest("2026-11-25T10:00")
    status = folder.status(case_id, "2026-11-25T10:00")
    assert (status["state"], status["resolution"]) == ("closed", "accepted")
    # never confirmed to the customer; actions done in time; closed within four weeks
    assert {d["name"]: d["status"] for d in status["deadlines"]} == {
        "confirm": "overdue",
        "actions": "met",
        "close": "met",
    }


def test_product_in_shipment_needs_containment_within_four_hours_of_registration(
    folder: Folder,
) -> None:
    case_id = register(
        folder,
        now="2026-11-20T10:00",
        **{"Where the product is now": "In shipment", "Complaint established": "yes"},
    )
    containment = {d["name"]: d for d in folder.status(case_id, "2026-11-20T15:00")["deadlines"]}[
        "containment"
    ]
    assert (containment["due"], containment["status"]) == ("2026-11-20T14:00:00", "overdue")
    capa = folder.outbox("Storage & Transportation", case_id, "capa")
    folder.save(
        capa,
        {"Root cause": "Loose pallet wrap", "Containment done at": "2026-11-20 13:30"},
        ACTIONS,
    )
    folder.ingest("2026-11-20T16:00")
    containment = {d["name"]: d for d in folder.status(case_id, "2026-11-20T16:00")["deadlines"]}[
        "containment"
    ]
    assert (containment["met_at"], containment["status"]) == ("2026-11-20T13:30:00", "met")


def test_a_failure_on_one_file_leaves_it_in_the_inbox_and_the_pass_goes_on(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.application

    real = app.application.take

    def flaky(desk: object, path: Path, *args: object) -> object:
        if path.name == "001 broken.docx":
            raise RuntimeError("disk went away")
        return real(desk, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(app.application, "take", flaky)
    folder.save(folder.blank("registration"), REGISTRATION, name="001 broken.docx")
    folder.save(
        folder.blank("registration"),
        {**REGISTRATION, "Customer": "Other Co."},
        name="002 fine.docx",
    )
    results = {r["file"]: r for r in folder.ingest("2026-11-20T10:00")}
    assert results["001 broken.docx"]["outcome"] == "ignored"
    assert (
        "closedloop failed on this file (RuntimeError: disk went away)"
        in results["001 broken.docx"]["reason"]
    )
    assert results["002 fine.docx"]["outcome"] == "filed"
    assert (folder.root / "Inbox" / "001 broken.docx").exists()


def test_a_copy_left_by_an_interrupted_run_is_finished_not_quarantined(folder: Folder) -> None:
    saved = folder.save(folder.blank("registration"), REGISTRATION, name="complaint.docx")
    data = saved.read_bytes()
    [first] = folder.ingest("2026-11-20T10:00")
    # What a crash between the registry commit and removing the Inbox file leaves behind:
    (folder.root / "Inbox" / "complaint.docx").write_bytes(data)
    [again] = folder.ingest("2026-11-20T10:05")
    assert (again["outcome"], again["case_id"]) == ("filed", first["case_id"])
    assert (
        "already filed as Archive/CC-2026-0001 ACME Windows/01 Complaint Registration Form v1.docx"
        in again["reason"]
    )
    assert not any((folder.root / "Inbox").iterdir()) and not any(
        (folder.root / "Quarantine").iterdir()
    )
    assert [f["version"] for f in folder.status(first["case_id"], "2026-11-20T10:05")["filed"]] == [
        1
    ]


def test_evidence_saved_under_a_case_number_is_filed_with_its_hash(folder: Folder) -> None:
    import hashlib

    case_id = register(folder)
    box = folder.root / "Inbox" / case_id
    box.mkdir()
    photo = b"\xff\xd8\xff" + b"cracked glass" * 100
    (box / "photo.jpg").write_bytes(photo)
    (box / "Thumbs.db").write_bytes(b"junk")
    (folder.root / "Inbox" / "CC-2026-0999").mkdir()
    (folder.root / "Inbox" / "CC-2026-0999" / "mail.eml").write_bytes(b"From: a")
    (folder.root / "Inbox" / "photos").mkdir()
    (folder.root / "Inbox" / "photos" / "other.jpg").write_bytes(b"\xff\xd8\xff other")
    results = {r["file"]: r for r in folder.ingest("2026-11-20T11:00")}
    assert results[f"{case_id}/photo.jpg"]["outcome"] == "filed"
    assert results[f"{case_id}/Thumbs.db"]["outcome"] == "ignored"
    assert "there is no case CC-2026-0999." in results["CC-2026-0999/mail.eml"]["reason"]
    assert "which is not a case number" in results["photos/other.jpg"]["reason"]
    note = (folder.root / "Quarantine" / "mail.eml - what to fix.txt").read_text()
    assert "File: CC-2026-0999/mail.eml" in note and "Check the folder's name." in note
    [kept] = folder.status(case_id, "2026-11-20T11:00")["evidence"]
    assert kept["file"] == "Archive/CC-2026-0001 ACME Windows/evidence/photo.jpg"
    assert kept["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (folder.root / kept["file"]).read_bytes() == photo
    # another photo of the same name is kept beside it; the same bytes again are a duplicate
    (box / "photo.jpg").write_bytes(photo + b"2")
    folder.ingest("2026-11-20T12:00")
    (box / "again.jpg").write_bytes(photo)
    dup = {r["file"]: r for r in folder.ingest("2026-11-20T13:00")}[f"{case_id}/again.jpg"]
    assert dup["outcome"] == "refused" and "evidence/photo.jpg" in dup["reason"]
    names = sorted(p.name for p in (folder.root / kept["file"]).parent.iterdir())
    assert names == ["photo (2).jpg", "photo.jpg"]


def test_a_file_that_goes_while_the_inbox_is_listed_is_skipped(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.folder import SharedFolder
    from app.intake.inbox import inbox_files

    inbox = folder.root / "Inbox"
    (inbox / "kept.docx").write_bytes(b"x")
    (inbox / "gone.docx").write_bytes(b"y")
    real_scandir = os.scandir

    def listing_then_gone(path: Any) -> Any:
        entries = list(real_scandir(path))  # there at the listing, gone at the next look
        (inbox / "gone.docx").unlink(missing_ok=True)
        return iter(entries)

    monkeypatch.setattr(os, "scandir", listing_then_gone)
    assert list(inbox_files(SharedFolder(folder.root))) == [inbox / "kept.docx"]
