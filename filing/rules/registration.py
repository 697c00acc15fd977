"""Complaint Registration Form (DOMAIN.md steps 1 and 2): opens the case, then triage
decides whether the complaint is established and routes it by category."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import (
    CaseView,
    Decision,
    Filed,
    FormRule,
    Opening,
    Refused,
    ToIssue,
    as_date,
    as_datetime,
    happened_by,
    text,
)
from filing.rules.dates import before, label, shown_when
from filing.states import CaseState, Resolution
from language import N_, _, folders, formats

#: What the customer may ask for that sends goods back (a Return Form, then tracking).
RETURN_REQUESTS = frozenset({"return", "exchange", "repair"})

#: Triage's answers: a complaint registered again is triaged again, from blank.
TRIAGE_FIELDS = (
    "established",
    "established_reason",
    "reply_to_customer",
    "decided_by",
    "decided_date",
    "responsible_department",
    "containment_needed",
    "containment_action",
)

#: Where a product still on its way needs containment within hours.
CONTAINMENT_LOCATIONS = ("in_production", "in_shipment")


class Registration(FormRule):
    form_id = "registration"
    refusal = N_("is corrected only while the case waits for triage or is open")
    person_fields = ("registered_by", "decided_by")
    issued_once = False  # each registration still to triage goes back to the window
    department = "customer_window"  # who registers and triages with the customer

    def accepts(self, case: CaseView) -> bool:
        return case.state in (CaseState.AWAITING_TRIAGE, CaseState.OPEN)

    def awaited(self, case: Case, filed: Filed) -> bool:
        return case.state == CaseState.AWAITING_TRIAGE

    def opening(self, values: Mapping[str, Any], policy: Policy, now: datetime) -> Opening:
        complaint = as_date(values.get("complaint_date")) or now.date()
        goods = as_date(values.get("goods_received_date"))
        late = goods is not None and (complaint - goods).days > policy.acceptance_days
        if goods is not None and late and not values.get("supervisor_override"):
            raise Refused(
                _(
                    "the complaint came {days} days after the goods were received ({received}); "
                    "complaints are accepted within {limit} days."
                ).format(
                    days=(complaint - goods).days,
                    received=formats.day(goods),
                    limit=policy.acceptance_days,
                ),
                _(
                    "A supervisor may accept it: fill '{field}' with their name and reason, "
                    "save, and put it back into the {inbox}."
                ).format(field=label(self.form_id, "supervisor_override"), **folders()),
            )
        received = values.get("received_at")
        return Opening(
            received_at=(
                received if isinstance(received, datetime) else datetime.combine(complaint, time(0))
            ),
            customer=text(values.get("customer")),
            product=text(values.get("product")),
            category=text(values.get("category")),
            previous_case=text(values.get("previous_case")),
        )

    def impossible(self, values: Mapping[str, Any], case: Case | None) -> list[str]:
        problems = []
        delivered = as_date(values.get("delivery_date"))
        goods = as_date(values.get("goods_received_date"))
        if delivered is not None and goods is not None and goods < delivered:
            problems.append(
                before(
                    label(self.form_id, "goods_received_date"),
                    goods,
                    _("the delivery date ({date})").format(date=shown_when(delivered)),
                    _(
                        "goods cannot be received before they are delivered: "
                        "correct whichever of the two dates is wrong"
                    ),
                )
            )
        confirmed = as_datetime(values.get("confirmed_to_customer_at"))
        received = as_datetime(values.get("received_at"))
        complaint = as_date(values.get("complaint_date"))
        if confirmed is not None and (
            (received is not None and confirmed < received)
            or (received is None and complaint is not None and confirmed.date() < complaint)
        ):
            moment: date | None = received if received is not None else complaint
            then = shown_when(moment) if moment is not None else ""
            problems.append(
                before(
                    label(self.form_id, "confirmed_to_customer_at"),
                    confirmed,
                    _("the complaint was received ({when})").format(when=then),
                    _(
                        "a complaint cannot be confirmed before it reaches us: "
                        "correct whichever of the two is wrong"
                    ),
                )
            )
        return problems

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        if values.get("established") is None:
            return Decision(
                state=CaseState.AWAITING_TRIAGE,
                issue=[ToIssue(self.form_id, self.department, "registered; triage it")],
                note="registered, awaiting triage",
            )
        if values["established"] is False:
            return Decision(
                state=CaseState.CLOSED,
                resolution=Resolution.NOT_ESTABLISHED,
                note="not established",
            )
        category = values.get("category") or "other"
        department = values.get("responsible_department") or policy.routes.get(
            category, "quality_management"
        )
        d = Decision(state=CaseState.OPEN, department=department, open_parts=("capa",))
        d.issue.append(ToIssue("capa", department, "complaint established"))
        asks = set(values.get("customer_requirement") or ()) & RETURN_REQUESTS
        if asks:
            d.open_parts += ("return",)
            d.issue.append(
                ToIssue("return_form", "sales", "customer asks for " + ", ".join(sorted(asks)))
            )
        if category == "special_requirement":
            d.open_parts += ("review",)
            d.issue.append(ToIssue("contract_review", "sales", "special requirement"))
        d.note = f"established; to {department}"
        return d

    def apply(
        self, case: Case, values: Mapping[str, Any], decision: Decision, now: datetime
    ) -> None:
        case.customer = text(values.get("customer")) or case.customer
        case.product = text(values.get("product")) or case.product
        case.category = text(values.get("category")) or case.category
        confirmed = as_datetime(values.get("confirmed_to_customer_at"))
        if confirmed is not None:
            case.confirmed_at = happened_by(confirmed, now)
        case.containment_needed = (
            bool(values.get("containment_needed"))
            or values.get("product_location") in CONTAINMENT_LOCATIONS
        )
        if values.get("established") is not None and case.triaged_at is None:
            case.triaged_at = now

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        latest = filed.latest_filing(case.case_id, self.form_id)
        return dict(latest.fields) if latest else {}

    def register_again(self, old: Case, filed: Filed) -> ToIssue:
        """The form that registers a rejected case again as a new complaint: its answers,
        triage left blank, linked to the old case."""
        values = {k: v for k, v in self.prefill(old, filed).items() if k not in TRIAGE_FIELDS}
        values["previous_case"] = old.case_id
        return ToIssue(self.form_id, self.department, f"re-registers {old.case_id}", values)
