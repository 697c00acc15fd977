"""Contract Review Form (DOMAIN.md step 4): a special requirement is reviewed; samples of
a few sets are improved by After-sales, more go to R&D."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule
from filing.rules.registration import Registration
from language import N_


class ContractReview(FormRule):
    form_id = "contract_review"
    refusal = N_("is filed only for a special requirement")
    part = "review"
    person_fields = ("decided_by",)

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        if values.get("decision") is None:
            return Decision(note="contract review updated")
        route = "after_sales" if (values.get("sets") or 0) <= policy.sample_sets else "rnd"
        return Decision(
            done_parts=("review",),
            note=f"review decided ({values['decision']}); samples by {route}",
        )

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        reg = filed.latest_filing(case.case_id, Registration.form_id)
        r = reg.fields if reg else {}
        return {
            **super().prefill(case, filed),
            "order_number": r.get("order_number"),
            "requirement": r.get("requirement_details") or r.get("description"),
        }
