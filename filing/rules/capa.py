"""Corrective and Preventive Action Report (DOMAIN.md step 5): the responsible department's
investigation; its part is done when every action is done, verified and the plan approved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule, as_datetime, happened_by
from filing.rules.dates import before, column_dates, column_label, in_row, label, shown_when
from filing.rules.registration import Registration
from language import N_, _

#: The tables whose rows are actions done for the complaint, with a date done.
ACTION_TABLES = ("actions", "preventive_actions")


class Capa(FormRule):
    form_id = "capa"
    refusal = N_("is filed only once the complaint is established")
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

    def impossible(self, values: Mapping[str, Any], case: Case | None) -> list[str]:
        """What answers the complaint is not done before the complaint reached us."""
        if case is None:
            return []
        received = case.received_at
        then = _("the complaint was received ({when}, case {case})").format(
            when=shown_when(received), case=case.case_id
        )
        problems = []
        contained = as_datetime(values.get("containment_done_at"))
        if contained is not None and contained < received:
            problems.append(
                before(
                    label(self.form_id, "containment_done_at"),
                    contained,
                    then,
                    _(
                        "containment answers the complaint and cannot come before it: "
                        "write when it was done"
                    ),
                )
            )
        for table in ACTION_TABLES:
            done_on = column_label(self.form_id, table, "done")
            for number, done in column_dates(values, table, "done"):
                if done < received.date():
                    problems.append(
                        before(
                            in_row(label(self.form_id, table), number, done_on),
                            done,
                            then,
                            _(
                                "an action taken for the complaint cannot come before it: "
                                "write the date it was done"
                            ),
                        )
                    )
        return problems

    def apply(
        self, case: Case, values: Mapping[str, Any], decision: Decision, now: datetime
    ) -> None:
        contained = as_datetime(values.get("containment_done_at"))
        if contained is not None:
            case.contained_at = happened_by(contained, now)
        if "capa" in decision.done_parts:  # the actions deadline is met on the last one done
            dones = [done for _, done in column_dates(values, "actions", "done")]
            case.actions_done_on = min(max(dones), now.date()) if dones else now.date()

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        reg = filed.latest_filing(case.case_id, Registration.form_id)
        r = reg.fields if reg else {}
        return {
            **super().prefill(case, filed),
            "problem": r.get("description"),
            "containment": r.get("containment_action"),
            "responsible_department": case.department,
        }
