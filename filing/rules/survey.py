"""Customer Satisfaction Survey Form (DOMAIN.md step 6): sent when every part is done;
the customer's acceptance closes the case, a rejection registers it again as new."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule, ToIssue, all_parts_done
from filing.states import CaseState, Resolution
from language import N_


class SatisfactionSurvey(FormRule):
    form_id = "satisfaction_survey"
    refusal = N_("is filed only after the CAPA and every other part are done")
    person_fields = ("surveyed_by",)
    department = "customer_window"  # fills it in with the customer

    def accepts(self, case: CaseView) -> bool:
        return case.state == CaseState.AWAITING_CUSTOMER

    def awaited(self, case: Case, filed: Filed) -> bool:
        return case.state == CaseState.AWAITING_CUSTOMER

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        if values.get("customer_accepts"):
            return Decision(
                state=CaseState.CLOSED, resolution=Resolution.ACCEPTED, note="customer accepts"
            )
        return Decision(
            state=CaseState.CLOSED,
            resolution=Resolution.REJECTED,
            reopen=True,
            note="customer does not accept",
        )

    def follow(self, case: CaseView, decision: Decision) -> Decision:
        """Any filing that leaves an open case with every part done sends the survey: the
        case then waits for the customer."""
        state = decision.state or case.state
        if state == CaseState.OPEN and all_parts_done(decision.parts_after(case.parts)):
            decision.state = CaseState.AWAITING_CUSTOMER
            decision.issue.append(ToIssue(self.form_id, self.department, "every part done"))
            decision.note += "; every part done, survey to the customer"
        return decision
