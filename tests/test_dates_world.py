"""Dates checked against the world, through the shared folder: a form records what
happened, so a date after the day it is filed is refused naming the field (a planned date,
like an action's Due, may lie ahead); dates in an order that cannot have happened are
refused; and a deadline is met only by what happened before the filing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scenario import REGISTRATION, Folder

NOW = "2026-12-02T10:00"
ACTIONS = ["Action", "Owner", "Due", "Done on"]


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "share")


def note(folder: Folder, name: str) -> str:
    return (folder.root / "Quarantine" / f"{name} - what to fix.txt").read_text(encoding="utf-8")


def established(folder: Folder) -> str:
    """A transport-damage complaint received and established on 2026-11-20: its CAPA waits
    in Storage & Transportation's outbox, its actions due by the end of 2026-11-27."""
    folder.save(
        folder.blank("registration"),
        {
            **REGISTRATION,
            "Received at (date and time)": "2026-11-20 09:00",
            "Complaint established": "yes",
        },
    )
    [result] = folder.ingest("2026-11-20T10:00")
    assert result["outcome"] == "filed", result
    return str(result["case_id"])


def save_capa(
    folder: Folder, case_id: str, name: str, rows: list[list[str]], **labels: Any
) -> None:
    capa = folder.outbox("Storage & Transportation", case_id, "capa")
    folder.save(
        capa,
        {
            "Root cause": "Buffer foam too thin for 4 h vibration",
            "Verification evidence": "Damage rate 15% -> 0 in 4 h vibration + 3 drops",
            "Plan approved by": "GM Zhao",
            "Plan approved on": "2026-11-24",
            **labels,
        },
        (ACTIONS, rows),
        name=name,
    )


def deadline(folder: Folder, case_id: str, name: str) -> dict[str, Any]:
    [found] = [d for d in folder.status(case_id, NOW)["deadlines"] if d["name"] == name]
    return found


def test_an_action_done_after_the_filing_is_refused_and_meets_no_deadline(
    folder: Folder,
) -> None:
    case_id = established(folder)
    save_capa(
        folder,
        case_id,
        "capa.docx",
        [["Thicker foam", "Li", "2026-11-27", "2026-12-05"]],
        **{"Verified on": "2026-12-09"},
    )
    [result] = folder.ingest(NOW)
    assert (result["outcome"], result["case_id"]) == ("refused", case_id)
    text = note(folder, "capa.docx")
    # Every problem in one go, each naming its field (and the table's row).
    assert (
        "  - Corrective actions, row 1, Done on: 2026-12-05 is after today (2026-12-02); a date "
        "that has not happened yet cannot be recorded: write the date it happened, or leave it "
        "empty until then\n"
    ) in text
    assert (
        "  - Verified on: 2026-12-09 is after today (2026-12-02); a date that has not happened "
        "yet cannot be recorded: write the date it happened, or leave it empty until then\n"
    ) in text
    assert "Plan approved on" not in text and "Due:" not in text
    actions = deadline(folder, case_id, "actions")
    assert (actions["met_at"], actions["status"]) == (None, "overdue")
    assert folder.status(case_id, NOW)["outstanding"] == ["capa"]


def test_a_planned_due_date_ahead_is_filed(folder: Folder) -> None:
    case_id = established(folder)
    save_capa(folder, case_id, "capa.docx", [["Thicker foam", "Li", "2026-12-20", ""]])
    [result] = folder.ingest(NOW)
    assert (result["outcome"], result["case_id"]) == ("filed", case_id), result
    assert deadline(folder, case_id, "actions")["met_at"] is None


def test_an_action_done_before_the_complaint_was_received_is_refused(folder: Folder) -> None:
    case_id = established(folder)
    save_capa(
        folder,
        case_id,
        "capa.docx",
        [
            ["Thicker foam", "Li", "2026-11-27", "2026-11-25"],
            ["Retrain", "Wang", "2026-11-27", "2026-11-12"],
        ],
        **{"Containment done at": "2026-11-19 16:00"},
    )
    [result] = folder.ingest(NOW)
    assert result["outcome"] == "refused"
    text = note(folder, "capa.docx")
    assert (
        f"  - Containment done at: 2026-11-19 16:00 is before the complaint was received "
        f"(2026-11-20 09:00, case {case_id}); containment answers the complaint and cannot "
        "come before it: write when it was done\n"
    ) in text
    assert (
        f"  - Corrective actions, row 2, Done on: 2026-11-12 is before the complaint was received "
        f"(2026-11-20 09:00, case {case_id}); an action taken for the complaint cannot come "
        "before it: write the date it was done\n"
    ) in text
    assert "row 1" not in text


def test_a_complaint_dated_twelve_days_ahead_is_not_registered(folder: Folder) -> None:
    folder.save(
        folder.blank("registration"),
        {**REGISTRATION, "Complaint date": "2026-12-14"},
        name="r.docx",
    )
    [result] = folder.ingest(NOW)
    assert (result["outcome"], result["case_id"]) == ("refused", None)
    assert (
        "  - Complaint date: 2026-12-14 is after today (2026-12-02); a date that has not "
        "happened yet cannot be recorded: write the date it happened\n"
    ) in note(folder, "r.docx")
    assert not any(p.name.startswith("CC-") for p in (folder.root / "Archive").iterdir())


def test_a_registration_dated_today_at_a_later_hour_is_filed(folder: Folder) -> None:
    """A clock a few hours off refuses nothing; the confirmation counts from the filing."""
    folder.save(
        folder.blank("registration"),
        {
            **REGISTRATION,
            "Complaint date": "2026-12-02",
            "Goods received date": "2026-11-25",
            "Received at (date and time)": "2026-12-02 08:00",
            "Confirmed to customer at": "2026-12-02 17:30",
        },
    )
    [result] = folder.ingest(NOW)
    assert result["outcome"] == "filed", result
    confirm = deadline(folder, result["case_id"], "confirm")
    assert (confirm["met_at"], confirm["status"]) == ("2026-12-02T10:00:00", "met")


def test_goods_received_before_delivery_are_refused(folder: Folder) -> None:
    folder.save(
        folder.blank("registration"),
        {**REGISTRATION, "Delivery date": "2026-11-05", "Goods received date": "2026-11-02"},
        name="r.docx",
    )
    [result] = folder.ingest(NOW)
    assert result["outcome"] == "refused"
    assert (
        "  - Goods received date: 2026-11-02 is before the delivery date (2026-11-05); goods "
        "cannot be received before they are delivered: correct whichever of the two dates is "
        "wrong\n"
    ) in note(folder, "r.docx")
