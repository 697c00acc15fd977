"""The rule table, row by row (issue #3), on values as the reader types them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from filing.policy import Policy
from filing.rules import RULES, CaseView, ToIssue, all_parts_done
from filing.states import CaseState

POLICY = Policy()
OPEN = CaseView(CaseState.OPEN, {"capa": "open", "return": "open", "review": "open"})


def decide(form: str, values: dict[str, Any], case: CaseView = OPEN) -> Any:
    return RULES[form].decide(case, values, POLICY)


def test_registration_without_triage_goes_back_to_the_customer_window() -> None:
    d = decide("registration", {"category": "quality"}, CaseView(CaseState.NEW, {}))
    assert d.state == "awaiting_triage"
    assert d.issue == [ToIssue("registration", "customer_window", "registered; triage it")]


def test_not_established_closes() -> None:
    d = decide("registration", {"established": False}, CaseView(CaseState.AWAITING_TRIAGE, {}))
    assert (d.state, d.resolution, d.issue) == ("closed", "not_established", [])


@pytest.mark.parametrize(
    ("category", "department"),
    [
        ("quality", "quality_management"),
        ("quantity", "quality_management"),
        ("tolerance", "quality_management"),
        ("transport_damage", "storage_transportation"),
        ("installation_technical", "after_sales"),
    ],
)
def test_established_routes_by_category(category: str, department: str) -> None:
    d = decide(
        "registration",
        {"established": True, "category": category, "customer_requirement": ["explanation"]},
    )
    assert (d.state, d.department, d.open_parts) == ("open", department, ("capa",))
    assert d.issue == [ToIssue("capa", department, "complaint established")]


def test_triage_may_name_the_department_and_returns_and_special_orders_add_parts() -> None:
    d = decide(
        "registration",
        {
            "established": True,
            "category": "special_requirement",
            "responsible_department": "rnd",
            "customer_requirement": ["exchange", "discount"],
        },
    )
    assert d.department == "rnd"
    assert d.open_parts == ("capa", "return", "review")
    assert [(i.form, i.department) for i in d.issue] == [
        ("capa", "rnd"),
        ("return_form", "sales"),
        ("contract_review", "sales"),
    ]


@pytest.mark.parametrize(
    ("hosts", "accessories", "department"),
    [(4, 14, "after_sales"), (5, 0, "production"), (0, 15, "production")],
)
def test_returned_goods_go_to_after_sales_or_production(
    hosts: int, accessories: int, department: str
) -> None:
    d = decide(
        "return_form",
        {"received_date": date(2026, 11, 25), "hosts": hosts, "accessories": accessories},
    )
    assert [(i.form, i.department) for i in d.issue] == [("return_tracking", department)]


def test_return_form_before_the_goods_arrive_issues_nothing() -> None:
    assert decide("return_form", {"hosts": 2, "accessories": 1}).issue == []


def test_return_part_done_when_shipped_back_or_deduction_decided() -> None:
    assert decide("return_tracking", {"shipped_back_date": date(2026, 12, 1)}).done_parts == (
        "return",
    )
    assert decide("return_tracking", {"deduction_decision": "deduct"}).done_parts == ("return",)
    assert decide("return_tracking", {"inspection_findings": "cracked"}).done_parts == ()


@pytest.mark.parametrize(("sets", "route"), [(10, "after_sales"), (11, "rnd")])
def test_contract_review_routes_samples(sets: int, route: str) -> None:
    d = decide("contract_review", {"sets": sets, "decision": "accepted"})
    assert d.done_parts == ("review",) and d.note.endswith(f"samples by {route}")


def test_capa_done_needs_every_action_done_verification_and_approval() -> None:
    full = {
        "actions": [{"action": "a", "done": date(2026, 11, 27)}],
        "verification": "0% damage",
        "plan_approved_by": "GM",
        "plan_approved_date": date(2026, 11, 28),
    }
    assert decide("capa", full).done_parts == ("capa",)
    for missing in ("verification", "plan_approved_by", "plan_approved_date"):
        assert decide("capa", {**full, missing: None}).done_parts == ()
    undone = {
        **full,
        "actions": [{"action": "a", "done": date(2026, 11, 27)}, {"action": "b", "done": None}],
    }
    assert decide("capa", undone).done_parts == ()


def test_survey_closes_or_reopens() -> None:
    waiting = CaseView(CaseState.AWAITING_CUSTOMER, {"capa": "done"})
    assert (
        decide("satisfaction_survey", {"customer_accepts": True}, waiting).resolution
    ) == "accepted"
    rejected = decide("satisfaction_survey", {"customer_accepts": False}, waiting)
    assert (rejected.state, rejected.resolution, rejected.reopen) == ("closed", "rejected", True)


def test_what_each_form_waits_for() -> None:
    waiting = CaseView(CaseState.AWAITING_CUSTOMER, {"capa": "done"})
    survey = RULES["satisfaction_survey"]
    accepted, waits_for = survey.accepts, survey.refusal
    assert not accepted(OPEN) and accepted(waiting)
    assert waits_for == "is filed only after the CAPA and every other part are done"
    assert not RULES["return_form"].accepts(CaseView(CaseState.OPEN, {"capa": "open"}))
    assert all_parts_done({"capa": "done", "return": "done"}) and not all_parts_done(
        {"capa": "open"}
    )
