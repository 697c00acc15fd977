"""What a rule is: the questions the engine asks of a form, and the answers it gets.

A FormRule says, for one form, whether it is accepted in the case's present state, what
filing it decides (a Decision: new state, parts opened or done, forms to issue), which
case fields it sets, what it pre-fills when it is issued, who signed it, and whether the
case now waits for it. The engine asks; only the rules know form ids and field ids.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from filing.errors import FilingError
from filing.policy import Policy
from filing.records import Case, Filing
from filing.states import CaseState, Resolution

# A part of a case (capa, return, review) is open until its form says it is done.
PART_OPEN = "open"
PART_DONE = "done"


@dataclass(frozen=True)
class ToIssue:
    """A form to send, pre-filled, to a department's outbox. `values`, when given, are
    what it carries; otherwise the form's rule pre-fills it from the case."""

    form: str
    department: str
    why: str
    values: Mapping[str, Any] | None = None


@dataclass
class Decision:
    state: CaseState | None = None  # the case's new state, when it changes
    resolution: Resolution | None = None
    department: str | None = None
    open_parts: tuple[str, ...] = ()  # parts of the case that must now be done
    done_parts: tuple[str, ...] = ()
    issue: list[ToIssue] = field(default_factory=list)
    reopen: bool = False  # the customer did not accept: register it again as a new case
    note: str = ""  # what happened, in words for the history

    def parts_after(self, parts: Mapping[str, str]) -> dict[str, str]:
        """The case's parts once this decision is applied."""
        after = dict(parts)
        for part in self.open_parts:
            after.setdefault(part, PART_OPEN)
        for part in self.done_parts:
            after[part] = PART_DONE
        return after


@dataclass(frozen=True)
class CaseView:
    """What a rule may know of the case when it decides."""

    state: CaseState
    parts: Mapping[str, str]


@dataclass(frozen=True)
class Opening:
    """What the form that opens a case says of it before anything is decided."""

    received_at: datetime
    customer: str | None
    product: str | None
    category: str | None
    previous_case: str | None


class Refused(FilingError):
    """A rule refuses the form: the reason and the fix, in words; the engine names the file."""

    def __init__(self, reason: str, fix: str) -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason} {fix}")


class Filed(Protocol):
    """What a rule reads of the registry: the latest filing of a form in a case."""

    def latest_filing(self, case_id: str, form: str) -> Filing | None: ...


class FormRule(ABC):
    """What one form does in the loop. The defaults are what most forms do: filed while the
    case is open and its part is there, waited for while that part is open, pre-filled
    with the customer and the product, setting no case field of their own."""

    form_id: ClassVar[str]
    #: The rule in words for a refusal: "a <form title> <refusal>." (an N_ text, said
    #: in the language in use by the engine)
    refusal: ClassVar[str]
    #: The case part this form serves (None: the form serves no part).
    part: ClassVar[str | None] = None
    #: Who signed, first filled first: the filing's person.
    person_fields: ClassVar[tuple[str, ...]] = ()
    #: A superseding version does not send the same form to the same department twice.
    issued_once: ClassVar[bool] = True
    #: The deadline the department that receives this form works to (its mail names it);
    #: None: the case's next one.
    deadline: ClassVar[str | None] = None

    @abstractmethod
    def decide(self, case: CaseView, values: Mapping[str, Any], policy: Policy) -> Decision:
        """What filing these values does to the case; decides only, changes nothing."""

    def accepts(self, case: CaseView) -> bool:
        """Whether the form may be filed in the case's present state."""
        return case.state == CaseState.OPEN and self.part in case.parts

    def awaited(self, case: Case, filed: Filed) -> bool:
        """Whether the case now waits for this form."""
        return case.state == CaseState.OPEN and case.parts.get(self.part or "") == PART_OPEN

    def opening(self, values: Mapping[str, Any], policy: Policy, now: datetime) -> Opening | None:
        """What the form says of a new case, when it may open one (None: it may not)."""
        return None

    def impossible(self, values: Mapping[str, Any], case: Case | None) -> list[str]:
        """The form's dates in an order that cannot have happened (goods received before
        they were delivered), each in words that name the field and the fix; `case` is the
        case the form is filed into (None: it opens one)."""
        return []

    def apply(
        self, case: Case, values: Mapping[str, Any], decision: Decision, now: datetime
    ) -> None:
        """Set the case fields this form carries (deadline times, who the customer is).
        A deadline is met only by what has happened: no time set here is after `now`."""
        return None

    def prefill(self, case: Case, filed: Filed) -> dict[str, Any]:
        """The values the form carries when it is issued for the case."""
        return {"customer": case.customer, "product": case.product}

    def person(self, values: Mapping[str, Any]) -> str | None:
        for key in self.person_fields:
            value = values.get(key)
            if isinstance(value, str) and value:
                return value
        return None


def all_parts_done(parts: Mapping[str, str]) -> bool:
    return bool(parts) and all(status == PART_DONE for status in parts.values())


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def as_datetime(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def happened_by(value: datetime, now: datetime) -> datetime:
    """A time a form gives for what was done, never later than the filing: a time later
    on the filing day (a clock a little off) counts from the filing."""
    return min(value, now)
