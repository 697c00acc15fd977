"""The one place form ids meet the workflow: each form's rule, in the order forms are
usually filed, and the questions the engine and the status ask of all of them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from filing.policy import Policy
from filing.records import Case
from filing.rules.base import CaseView, Decision, Filed, FormRule
from filing.rules.capa import Capa
from filing.rules.registration import Registration
from filing.rules.returns import ReturnForm, ReturnTracking
from filing.rules.review import ContractReview
from filing.rules.survey import SatisfactionSurvey

#: The form that opens a case, and registers a rejected one again.
OPENING = Registration()
#: The form that goes to the customer once every part is done.
SURVEY = SatisfactionSurvey()

RULES: Mapping[str, FormRule] = MappingProxyType(
    {
        rule.form_id: rule
        for rule in (OPENING, ReturnForm(), ReturnTracking(), ContractReview(), Capa(), SURVEY)
    }
)


def rule_for(form_id: str) -> FormRule:
    return RULES[form_id]


def decide_filing(
    rule: FormRule, case: CaseView, values: Mapping[str, Any], policy: Policy
) -> Decision:
    """The form's decision, with what follows any filing: the survey once every part is done."""
    return SURVEY.follow(case, rule.decide(case, values, policy))


def outstanding(filed: Filed, case: Case) -> list[str]:
    """The forms the case waits for, in the order they are usually filed."""
    return [form_id for form_id, rule in RULES.items() if rule.awaited(case, filed)]
