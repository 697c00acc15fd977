"""Corrective and Preventive Action Report (DOMAIN.md step 5): the responsible department's
investigation; its part is done when every action is done, verified and the plan approved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule
from filing.rules.registration import Registration


class Capa(FormRule):
    form_id = "capa"
    refusal = "is filed only once the complaint is established"
    part = "capa"
    person_fields = ("prepared_by", "verified_by")
    deadline = "actions"

    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        actions = values.get("actions") or []
        all_done = bool(actions) and all(row.get("done") for row in actions)
        if (
            all_done
            and values.get("verification")
            and values.get("plan_approved_by")
            and values.get("plan_approved_date")
        ):
            return Decision(done_parts=("capa",), note="actions done, verified, plan approved")
        return Decision(note="CAPA updated")

    def apply(
        self, case: Case, values: Mapping[str, Any], decision: Decision, now: datetime
    ) -> None:
        contained = values.get("containment_done_at")
        case.contained_at = contained if isinstance(contained, datetime) else case.contained_at
        if "capa" in decision.done_parts:  # the actions deadline is met on the last one done
            dones = [
                row.get("done")
                for row in values.get("actions") or []
                if isinstance(row.get("done"), date)
            ]
            case.actions_done_on = max(dones) if dones else now.date()

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        reg = filed.latest_filing(case.case_id, Registration.form_id)
        r = reg.fields if reg else {}
        return {
            **super().prefill(case, filed),
            "problem": r.get("description"),
            "containment": r.get("containment_action"),
            "responsible_department": case.department,
        }
