"""The engine on real forms: a case from registration to closure, and every refusal."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from filing.engine import Engine, FilingRefused
from filing.policy import Policy
from filing.registry import Registry
from forms.definition import get_form
from forms.reader import FormRead, read_form
from forms.writer import write_form

NOW = datetime(2026, 11, 20, 10, 0)
REGISTRATION = {
    "complaint_date": "2026-11-20",
    "customer": "ACME Windows",
    "product": "W-200",
    "goods_received_date": "2026-11-02",
    "category": "transport_damage",
    "description": "Glass cracked in 3 of 10 units",
    "customer_requirement": "return, repair",
    "registered_by": "Mei",
}
CAPA_DONE = {
    "root_cause": "x",
    "actions": [{"action": "a", "owner": "o", "due": "2026-11-27", "done": "2026-11-20"}],
    "verification": "ok",
    "plan_approved_by": "GM",
    "plan_approved_date": "2026-11-20",
}
_n = itertools.count()


class Loop:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.registry = Registry(tmp / "registry.sqlite")
        self.engine = Engine(self.registry, Policy())

    def read(
        self, form_id: str, values: dict[str, Any], case: str | None = None, fmt: str = "docx"
    ) -> FormRead:
        path = write_form(
            get_form(form_id), fmt, self.tmp / f"{next(_n)} {form_id}.{fmt}", values, case
        )  # type: ignore[arg-type]
        return read_form(path)

    def file(
        self,
        form_id: str,
        values: dict[str, Any],
        case: str | None = None,
        now: datetime = NOW,
        fmt: str = "docx",
    ) -> Any:
        read = self.read(form_id, values, case, fmt)
        return self.engine.file(read, f"{next(_n):064d}", now)


@pytest.fixture
def loop(tmp_path: Path) -> Loop:
    return Loop(tmp_path)


def test_a_case_from_registration_to_acceptance(loop: Loop) -> None:
    first = loop.file("registration", REGISTRATION)
    case_id = first.case_id
    assert case_id == "CC-2026-0001"
    assert [(i.form, i.department, i.file) for i in first.issued] == [
        (
            "registration",
            "customer_window",
            "Outbox/Customer Window/CC-2026-0001 Complaint Registration Form.docx",
        )
    ]
    assert loop.registry.case(case_id).state == "awaiting_triage"  # type: ignore[union-attr]

    triaged = loop.file(
        "registration",
        {**REGISTRATION, "established": "yes", "decided_by": "Wang"},
        case_id,
        fmt="xlsx",
    )
    assert triaged.version == 2
    assert [(i.form, i.department, i.file[-4:]) for i in triaged.issued] == [
        ("capa", "storage_transportation", "xlsx"),
        ("return_form", "sales", "xlsx"),
    ]
    capa_prefill = triaged.issued[0].values
    assert capa_prefill["problem"] == "Glass cracked in 3 of 10 units"
    assert capa_prefill["responsible_department"] == "storage_transportation"

    received = loop.file(
        "return_form",
        {"received_date": "2026-11-25", "hosts": "3", "accessories": "2"},
        case_id,
        now=datetime(2026, 11, 25, 10, 0),
    )
    assert [(i.form, i.department) for i in received.issued] == [("return_tracking", "after_sales")]
    assert received.issued[0].values == {
        "customer": "ACME Windows",
        "product": "W-200",
        "hosts": 3,
        "accessories": 2,
    }
    later = datetime(2026, 11, 30, 10, 0)  # each form filed once what it records happened
    assert (
        loop.file("return_tracking", {"shipped_back_date": "2026-11-30"}, case_id, now=later).issued
        == []
    )

    capa = loop.file(
        "capa",
        {
            "root_cause": "Buffer foam too thin for 4 h vibration",
            "actions": [
                {
                    "action": "Redesign foam",
                    "owner": "Li",
                    "due": "2026-11-27",
                    "done": "2026-11-26",
                }
            ],
            "verification": "Damage rate 15% -> 0 in 4 h vibration + 3 drops",
            "plan_approved_by": "GM Zhao",
            "plan_approved_date": "2026-11-24",
        },
        case_id,
        now=later,
    )
    assert [(i.form, i.department) for i in capa.issued] == [
        ("satisfaction_survey", "customer_window")
    ]
    case = loop.registry.case(case_id)
    assert (
        case is not None
        and case.state == "awaiting_customer"
        and case.actions_done_on == date(2026, 11, 26)
    )

    done = loop.file("satisfaction_survey", {"customer_accepts": "yes"}, case_id, now=later)
    case = loop.registry.case(case_id)
    assert case is not None and (case.state, case.resolution) == ("closed", "accepted")
    assert done.issued == []
    assert [e.event for e in loop.registry.history(case_id)][:2] == [
        "filed",
        "filed version 2 (supersedes 1)",
    ]


def survey_out(loop: Loop) -> str:
    """An established case whose CAPA is done: its survey is with the customer."""
    case_id = str(
        loop.file(
            "registration",
            {**REGISTRATION, "customer_requirement": "explanation", "established": "yes"},
        ).case_id
    )
    loop.file("capa", CAPA_DONE, case_id)
    return case_id


def test_rejection_registers_a_new_linked_case(loop: Loop) -> None:
    case_id = survey_out(loop)
    out = loop.file("satisfaction_survey", {"customer_accepts": "no"}, case_id)
    old, new = loop.registry.case(case_id), loop.registry.case(out.new_case or "")
    assert old is not None and new is not None
    assert (old.resolution, old.reopened_as, new.reopens, new.state) == (
        "rejected",
        new.case_id,
        case_id,
        "awaiting_triage",
    )
    [issued] = out.issued
    assert (issued.case_id, issued.form, issued.department) == (
        new.case_id,
        "registration",
        "customer_window",
    )
    assert issued.values["previous_case"] == case_id and issued.values["customer"] == "ACME Windows"
    assert "established" not in issued.values


def test_refusals_name_the_case_and_what_it_waits_for(loop: Loop) -> None:
    case_id = loop.file("registration", REGISTRATION).case_id
    with pytest.raises(FilingRefused) as exc:
        loop.file("satisfaction_survey", {"customer_accepts": "yes"}, case_id)
    assert (
        "case CC-2026-0001 is waiting for triage on its registration form; a Customer Satisfaction "
        "Survey Form is filed only after the CAPA and every other part are done."
    ) in str(exc.value)
    with pytest.raises(FilingRefused, match="there is no case CC-2026-0099"):
        loop.file(
            "capa",
            {"root_cause": "x", "actions": [{"action": "a", "owner": "o", "due": "2026-12-01"}]},
            "CC-2026-0099",
        )
    loop.file("registration", {**REGISTRATION, "established": "no"}, case_id)
    with pytest.raises(
        FilingRefused, match="case CC-2026-0001 is closed \\(complaint not established\\)"
    ):
        loop.file("registration", REGISTRATION, case_id)
    with pytest.raises(FilingRefused, match="has no case number"):
        loop.file(
            "capa",
            {"root_cause": "x", "actions": [{"action": "a", "owner": "o", "due": "2026-12-01"}]},
        )


def test_late_complaints_need_the_supervisor_override(loop: Loop) -> None:
    late = {**REGISTRATION, "goods_received_date": "2026-10-01"}
    with pytest.raises(FilingRefused) as exc:
        loop.file("registration", late)
    assert (
        "came 50 days after the goods were received (2026-10-01); complaints are accepted within 30 days"
        in str(exc.value)
    )
    assert "fill 'Supervisor override (late complaint)'" in str(exc.value)
    assert (
        loop.file("registration", {**late, "supervisor_override": "Wang: key customer"}).case_id
        == "CC-2026-0001"
    )


def test_forms_with_problems_are_refused_with_the_problems(loop: Loop) -> None:
    read = loop.read("registration", {k: v for k, v in REGISTRATION.items() if k != "customer"})
    with pytest.raises(
        FilingRefused, match=r"the form has problems: Customer: this is required; fill it in\."
    ):
        loop.engine.file(read, "0" * 64, NOW)
    assert loop.registry.cases() == []


def test_repeats_are_flagged_within_the_window(loop: Loop) -> None:
    first = loop.file("registration", REGISTRATION).case_id
    again = loop.file(
        "registration", {**REGISTRATION, "customer": "Other Co."}, now=NOW + timedelta(days=30)
    )
    assert again.repeats == [first]  # same product and category
    later = loop.file("registration", REGISTRATION, now=NOW + timedelta(days=125))
    assert later.repeats == []


def test_a_registration_is_not_corrected_once_the_survey_is_out(loop: Loop) -> None:
    case_id = survey_out(loop)
    with pytest.raises(FilingRefused) as exc:
        loop.file("registration", {**REGISTRATION, "established": "yes"}, case_id)
    assert str(exc.value).endswith(
        "case CC-2026-0001 is waiting for the customer's survey; a Complaint Registration Form is corrected "
        "only while the case waits for triage or is open. The case waits for: Customer Satisfaction Survey "
        "Form. File that first."
    )
