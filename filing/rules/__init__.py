"""The rules of the loop: what filing each form does to its case, one class per form.

A form's rules are in its module (registration, returns, review, capa, survey), read like
DOMAIN.md; `base` says what a rule answers, and `table` is the one place form ids meet the
workflow: the engine, the status and the reports ask the rule objects there.
"""

from filing.rules.base import (
    CaseView,
    Decision,
    Filed,
    FormRule,
    Opening,
    Refused,
    ToIssue,
    all_parts_done,
)
from filing.rules.registration import RETURN_REQUESTS
from filing.rules.table import OPENING, RULES, SURVEY, decide_filing, outstanding, rule_for

__all__ = [
    "OPENING",
    "RETURN_REQUESTS",
    "RULES",
    "SURVEY",
    "CaseView",
    "Decision",
    "Filed",
    "FormRule",
    "Opening",
    "Refused",
    "ToIssue",
    "all_parts_done",
    "decide_filing",
    "outstanding",
    "rule_for",
]
