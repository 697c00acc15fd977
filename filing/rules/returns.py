"""Return Form and Customer Return Tracking Form (DOMAIN.md step 3): the goods come back,
are repaired by After-sales or Production by how many there are, and go back or are
deducted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule, ToIssue
from filing.rules.registration import RETURN_REQUESTS, Registration
from language import N_

PART = "return"
REFUSAL = N_("is filed only when the customer asked for a return")


def goods_received(case: Case, filed: Filed) -> bool:
    """The Return Form filed for the case says the goods arrived, and how many."""
    ret = filed.latest_filing(case.case_id, ReturnForm.form_id)
    return bool(
        ret is not None and ret.fields.get("received_date") and ret.fields.get("hosts") is not None
    )


class ReturnForm(FormRule):
    form_id = "return_form"
    refusal = REFUSAL
    part = PART
    person_fields = ("authorised_by", "received_by")

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        hosts, accessories = values.get("hosts"), values.get("accessories")
        if values.get("received_date") is None or hosts is None or accessories is None:
            return Decision(note="return form filed; goods not yet received")
        few = hosts < policy.few_hosts and accessories < policy.few_accessories
        department = "after_sales" if few else "production"
        return Decision(
            issue=[
                ToIssue(
                    ReturnTracking.form_id,
                    department,
                    f"{hosts} hosts, {accessories} accessories received",
                )
            ],
            note=f"goods received; repair by {department}",
        )

    def awaited(self, case: Case, filed: Filed) -> bool:
        return super().awaited(case, filed) and not goods_received(case, filed)

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        reg = filed.latest_filing(case.case_id, Registration.form_id)
        r = reg.fields if reg else {}
        asks = [a for a in r.get("customer_requirement") or [] if a in RETURN_REQUESTS]
        return {
            **super().prefill(case, filed),
            "order_number": r.get("order_number"),
            "requested_action": asks[0] if asks else None,
        }


class ReturnTracking(FormRule):
    form_id = "return_tracking"
    refusal = REFUSAL
    part = PART
    person_fields = ("inspected_by",)

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        if (
            values.get("shipped_back_date") is not None
            or values.get("deduction_decision") is not None
        ):
            return Decision(done_parts=(PART,), note="return done")
        return Decision(note="return tracking updated")

    def awaited(self, case: Case, filed: Filed) -> bool:
        return super().awaited(case, filed) and goods_received(case, filed)

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        ret = filed.latest_filing(case.case_id, ReturnForm.form_id)
        if ret is None:
            return super().prefill(case, filed)
        return {
            **super().prefill(case, filed),
            "hosts": ret.fields.get("hosts"),
            "accessories": ret.fields.get("accessories"),
        }
