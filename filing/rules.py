"""The rules of the loop: what filing a form does to its case.

Each form has one rule function, and the table RULES names them, so that the rules read
like DOMAIN.md and issue #3 (one row each). A rule only decides; the engine applies the
Decision (state, parts, forms to issue) and records it. Whether a form is accepted at all
in the case's present state is the table ACCEPTS, with the words that say what the case
waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from filing.policy import Policy

RETURN_REQUESTS = frozenset({"return", "exchange", "repair"})


@dataclass(frozen=True)
class ToIssue:
    """A form to send, pre-filled, to a department's outbox."""

    form: str
    department: str
    why: str


@dataclass
class Decision:
    state: str | None = None  # the case's new state, when it changes
    resolution: str | None = None
    department: str | None = None
    open_parts: tuple[str, ...] = ()  # parts of the case that must now be done
    done_parts: tuple[str, ...] = ()
    issue: list[ToIssue] = field(default_factory=list)
    reopen: bool = False  # the customer did not accept: register it again as a new case
    note: str = ""  # what happened, in words for the history


@dataclass(frozen=True)
class CaseView:
    """What a rule may know of the case."""

    state: str
    parts: Mapping[str, str]


def on_registration(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    if v.get("established") is None:
        return Decision(
            state="awaiting_triage",
            issue=[ToIssue("registration", "customer_window", "registered; triage it")],
            note="registered, awaiting triage",
        )
    if v["established"] is False:
        return Decision(state="closed", resolution="not_established", note="not established")
    category = v.get("category") or "other"
    department = v.get("responsible_department") or policy.routes.get(
        category, "quality_management"
    )
    d = Decision(state="open", department=department, open_parts=("capa",))
    d.issue.append(ToIssue("capa", department, "complaint established"))
    asks = set(v.get("customer_requirement") or ())
    if asks & RETURN_REQUESTS:
        d.open_parts += ("return",)
        d.issue.append(
            ToIssue(
                "return_form",
                "sales",
                "customer asks for " + ", ".join(sorted(asks & RETURN_REQUESTS)),
            )
        )
    if category == "special_requirement":
        d.open_parts += ("review",)
        d.issue.append(ToIssue("contract_review", "sales", "special requirement"))
    d.note = f"established; to {department}"
    return d


def on_return_form(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    hosts, accessories = v.get("hosts"), v.get("accessories")
    if v.get("received_date") is None or hosts is None or accessories is None:
        return Decision(note="return form filed; goods not yet received")
    few = hosts < policy.few_hosts and accessories < policy.few_accessories
    department = "after_sales" if few else "production"
    return Decision(
        issue=[
            ToIssue(
                "return_tracking", department, f"{hosts} hosts, {accessories} accessories received"
            )
        ],
        note=f"goods received; repair by {department}",
    )


def on_return_tracking(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    if v.get("shipped_back_date") is not None or v.get("deduction_decision") is not None:
        return Decision(done_parts=("return",), note="return done")
    return Decision(note="return tracking updated")


def on_contract_review(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    if v.get("decision") is None:
        return Decision(note="contract review updated")
    route = "after_sales" if (v.get("sets") or 0) <= policy.sample_sets else "rnd"
    return Decision(
        done_parts=("review",), note=f"review decided ({v['decision']}); samples by {route}"
    )


def on_capa(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    actions = v.get("actions") or []
    all_done = bool(actions) and all(row.get("done") for row in actions)
    if (
        all_done
        and v.get("verification")
        and v.get("plan_approved_by")
        and v.get("plan_approved_date")
    ):
        return Decision(done_parts=("capa",), note="actions done, verified, plan approved")
    return Decision(note="CAPA updated")


def on_satisfaction_survey(case: CaseView, v: Mapping[str, Any], policy: Policy) -> Decision:
    if v.get("customer_accepts"):
        return Decision(state="closed", resolution="accepted", note="customer accepts")
    return Decision(
        state="closed", resolution="rejected", reopen=True, note="customer does not accept"
    )


Rule = Callable[[CaseView, Mapping[str, Any], Policy], Decision]
RULES: Mapping[str, Rule] = {
    "registration": on_registration,
    "return_form": on_return_form,
    "return_tracking": on_return_tracking,
    "contract_review": on_contract_review,
    "capa": on_capa,
    "satisfaction_survey": on_satisfaction_survey,
}


def _part_open(part: str) -> Callable[[CaseView], bool]:
    return lambda c: c.state == "open" and part in c.parts


#: form -> (accepted when, the rule in words for a refusal: "a <form title> <words>.")
ACCEPTS: Mapping[str, tuple[Callable[[CaseView], bool], str]] = {
    "registration": (
        lambda c: c.state in ("awaiting_triage", "open"),
        "is corrected only while the case waits for triage or is open",
    ),
    "return_form": (_part_open("return"), "is filed only when the customer asked for a return"),
    "return_tracking": (_part_open("return"), "is filed only when the customer asked for a return"),
    "contract_review": (_part_open("review"), "is filed only for a special requirement"),
    "capa": (_part_open("capa"), "is filed only once the complaint is established"),
    "satisfaction_survey": (
        lambda c: c.state == "awaiting_customer",
        "is filed only after the CAPA and every other part are done",
    ),
}


def all_parts_done(parts: Mapping[str, str]) -> bool:
    return bool(parts) and all(status == "done" for status in parts.values())
