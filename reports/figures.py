"""The numbers of the weekly meeting and the quarter close, worked out from the registry.

`figures()` counts over one span of time [start, end) and judges everything as it stood at
`as_of` (the end of the span, or now when the span is still running): a case closed after
`as_of` was open then, and a deadline met after `as_of` was not met then. So the report
for a past week says the same whenever it is made.

On a registry several sites share, the figures are the group's, each site's in `by_site`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from filing import words
from filing.calendar import WorkingCalendar
from filing.deadlines import DEADLINE_NAMES, Deadline, earliest_counted_from
from filing.errors import FilingError
from filing.policy import Policy
from filing.registry import Case, Filing, Registry
from filing.status import case_deadlines
from language import _

ISO_WEEK = re.compile(r"^(?P<year>\d{4})-?W(?P<week>\d{1,2})$")
DEADLINE_STATES = ("met", "late", "missed", "overdue", "open")
TREND_WEEKS = 13  # "the last quarter" of a weekly report


class BadWeek(FilingError):
    def __init__(self, text: str) -> None:
        super().__init__(
            _("'{text}' is not an ISO week; write it like 2026-W47 (year, W, week 1 to 53)").format(
                text=text
            )
        )


@dataclass(frozen=True)
class Span:
    """A stretch of time the report counts over: [start, end)."""

    label: str  # 2026-W47, 2026Q4, or "2026-W35 to 2026-W47"
    start: datetime
    end: datetime

    @classmethod
    def week(cls, text: str) -> Span:
        match = ISO_WEEK.match(text.strip().upper())
        if match is None:
            raise BadWeek(text)
        try:
            monday = date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
        except ValueError:
            raise BadWeek(text) from None
        return cls.week_of(monday)

    @classmethod
    def week_of(cls, day: date) -> Span:
        year, week, weekday = day.isocalendar()
        monday = day - timedelta(days=weekday - 1)
        start = datetime.combine(monday, time(0))
        return cls(f"{year}-W{week:02d}", start, start + timedelta(days=7))

    @classmethod
    def quarter(cls, year: int, q: int) -> Span:
        start = datetime(year, 3 * q - 2, 1)
        end = datetime(year + 1, 1, 1) if q == 4 else datetime(year, 3 * q + 1, 1)
        return cls(f"{year}Q{q}", start, end)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def weeks(self) -> list[Span]:
        """The ISO weeks that overlap the span, in order."""
        out = [Span.week_of(self.start.date())]
        while out[-1].end < self.end:
            out.append(Span.week_of(out[-1].end.date()))
        return out


def trend_span(week: Span, weeks: int = TREND_WEEKS) -> Span:
    """The `weeks` weeks that end with `week`."""
    first = Span.week_of((week.start - timedelta(weeks=weeks - 1)).date())
    return Span(
        _("{first} to {last}").format(first=first.label, last=week.label), first.start, week.end
    )


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    cumulative_share: float  # of all counted, this row and those above it (Pareto)


@dataclass(frozen=True)
class WeekCount:
    week: str
    opened: int
    closed: int


@dataclass(frozen=True)
class DeadlineCount:
    name: str
    met: int = 0
    late: int = 0
    missed: int = 0  # the case closed without meeting it
    overdue: int = 0
    open: int = 0


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    customer: str
    product: str
    category: str
    department: str
    owner: str  # the CAPA's responsible person, else the owners of its open actions
    opened: datetime
    days_open: int
    overdue: list[str]  # names of deadlines passed and not met
    next_due: datetime | None  # the earliest deadline not yet met
    site: str = ""  # on a registry several sites share; "" on one of its own


@dataclass(frozen=True)
class Repeat:
    case_id: str
    customer: str
    product: str
    category: str
    opened: datetime
    repeats: list[str]
    site: str = ""
    more: int = 0  # earlier cases it repeats beyond those listed (Case.repeats_total)


@dataclass(frozen=True)
class CaseCost:
    case_id: str
    customer: str
    responsible_department: str
    deduction: Decimal
    working_hours: Decimal
    hours_to: str
    filed: datetime
    site: str = ""


@dataclass(frozen=True)
class DepartmentCost:
    department: str
    deductions: Decimal  # charged to the department responsible
    working_hours: Decimal  # transferred to the department
    cases: int


@dataclass(frozen=True)
class SiteCount:
    """One site's share of a group's figures; the money is the costs counted in the span."""

    site: str
    opened: int = 0
    closed: int = 0
    open_at_end: int = 0
    overdue_at_end: int = 0
    repeats_opened: int = 0
    deductions: Decimal = Decimal(0)
    working_hours: Decimal = Decimal(0)


@dataclass
class Figures:
    span: Span
    as_of: datetime
    opened: int = 0
    closed: int = 0
    open_at_end: int = 0
    overdue_at_end: int = 0
    repeats_opened: int = 0
    by_category: list[Count] = field(default_factory=list)
    by_customer: list[Count] = field(default_factory=list)
    by_product: list[Count] = field(default_factory=list)
    weeks: list[WeekCount] = field(default_factory=list)
    deadlines: list[DeadlineCount] = field(default_factory=list)
    open_cases: list[OpenCase] = field(default_factory=list)
    repeats: list[Repeat] = field(default_factory=list)
    costs: list[CaseCost] = field(default_factory=list)
    costs_by_department: list[DepartmentCost] = field(default_factory=list)
    by_site: list[SiteCount] = field(default_factory=list)  # empty unless the registry is shared

    @property
    def deductions(self) -> Decimal:
        return sum((c.deduction for c in self.costs), Decimal(0))

    @property
    def working_hours(self) -> Decimal:
        return sum((c.working_hours for c in self.costs), Decimal(0))


def status_at(deadline: Deadline, as_of: datetime, closed_at: datetime | None = None) -> str:
    """The deadline's state as it stood at `as_of`: a meeting after that moment is unknown.
    A case closed by then can no longer meet it: missed, not overdue."""
    met_at = deadline.met_at if deadline.met_at and deadline.met_at <= as_of else None
    if met_at is not None:
        return "met" if met_at <= deadline.due else "late"
    if closed_at is not None and closed_at <= as_of:
        return "missed"
    return "overdue" if as_of > deadline.due else "open"


def figures(registry: Registry, policy: Policy, span: Span, now: datetime) -> Figures:
    as_of = min(now, span.end - timedelta(seconds=1))
    calendar = WorkingCalendar(policy.calendar)
    shared = bool(registry.url)
    since = _closed_since(policy, calendar, span, as_of)  # only the cases that can count
    found = registry.cases_in_play(as_of, since, every_site=shared)
    cases = [c for c in found if c.opened_at <= as_of]
    opened = [c for c in cases if span.contains(c.opened_at)]
    out = Figures(span, as_of)
    out.opened = len(opened)
    out.closed = sum(1 for c in cases if _closed_in(c, span, as_of))
    out.by_category = _pareto(category_label(c.category) for c in opened)
    out.by_customer = _pareto(c.customer or none() for c in opened)
    out.by_product = _pareto(c.product or none() for c in opened)
    out.weeks = [
        WeekCount(
            week.label,
            sum(1 for c in cases if week.contains(c.opened_at)),
            sum(1 for c in cases if _closed_in(c, week, as_of)),
        )
        for week in span.weeks()
        if week.start <= as_of
    ]
    counts: dict[str, Counter[str]] = {name: Counter() for name in DEADLINE_NAMES}
    for case in cases:
        for d in case_deadlines(case, policy, calendar):
            if span.contains(d.due):
                counts[d.name][status_at(d, as_of, case.closed_at)] += 1
    out.deadlines = [DeadlineCount(name, **counts[name]) for name in DEADLINE_NAMES]
    # Each case's CAPA in force at as_of, read once: its owner and its costs come from it.
    capas = registry.latest_filings_in_play("capa", as_of, as_of, since, every_site=shared)
    for case in cases:
        if case.closed_at is not None and case.closed_at <= as_of:
            continue
        out.open_cases.append(_open_case(policy, calendar, case, capas.get(case.case_id), as_of))
    out.open_at_end = len(out.open_cases)
    out.overdue_at_end = sum(1 for c in out.open_cases if c.overdue)
    out.repeats = [
        Repeat(
            c.case_id,
            c.customer or "",
            c.product or "",
            category_label(c.category),
            c.opened_at,
            list(c.repeats),
            c.site,
            max(0, c.repeats_total - len(c.repeats)),
        )
        for c in opened
        if c.repeats
    ]
    out.repeats_opened = len(out.repeats)
    for case in cases:
        cost = _cost(policy, case, capas.get(case.case_id), span)
        if cost is not None:
            out.costs.append(cost)
    out.costs_by_department = _by_department(out.costs)
    if shared:
        # A row for each site with a case by then, though none of its cases count here.
        out.by_site = _by_site(registry.case_sites(as_of), cases, out, span, as_of)
    return out


def _closed_since(
    policy: Policy, calendar: WorkingCalendar, span: Span, as_of: datetime
) -> datetime:
    """The earliest closing of a case that can count in the span. One closed before opened
    and closed before the first week counted, had its CAPA filed before it closed (a closed
    case takes no filing), and its deadlines count from its receipt, registration and
    triage, none after its closing day: none falls due in the span. A week more: a filing's
    time is the clock's, and one set back could put a closing before a triage."""
    due = earliest_counted_from(policy.deadlines, calendar, span.start.date())
    return min(datetime.combine(due, time(0)), span.weeks()[0].start, as_of) - timedelta(days=7)


def _closed_in(case: Case, span: Span, as_of: datetime) -> bool:
    return case.closed_at is not None and case.closed_at <= as_of and span.contains(case.closed_at)


def _pareto(labels: Any) -> list[Count]:
    counted = Counter(labels)
    total = sum(counted.values())
    rows, running = [], 0
    for label, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0].casefold())):
        running += n
        rows.append(Count(label, n, running / total))
    return rows


def none() -> str:
    """What a list shows for a case that names no customer, product or department."""
    return _("(none)")


def category_label(category: str | None) -> str:
    """The category as the registration form shows it ("Transport damage")."""
    return words.category_label(category) or none()


def _department_label(policy: Policy, department: str | None) -> str:
    return words.department_name(policy.outboxes, department)


def _open_case(
    policy: Policy, calendar: WorkingCalendar, case: Case, capa: Filing | None, as_of: datetime
) -> OpenCase:
    deadlines = case_deadlines(case, policy, calendar)
    states = [(d, status_at(d, as_of)) for d in deadlines]
    owner = ""
    if capa is not None:
        owner = str(capa.fields.get("responsible_person") or "")
        if not owner:
            owners = {
                str(r["owner"])
                for r in capa.fields.get("actions") or []
                if r.get("owner") and not r.get("done")
            }
            owner = ", ".join(sorted(owners))
    waiting = [d.due for d, s in states if s in ("open", "overdue")]
    return OpenCase(
        case.case_id,
        case.customer or "",
        case.product or "",
        category_label(case.category),
        _department_label(policy, case.department),
        owner,
        case.opened_at,
        (as_of - case.opened_at).days,
        [d.name for d, s in states if s == "overdue"],
        min(waiting) if waiting else None,
        case.site,
    )


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _cost(policy: Policy, case: Case, capa: Filing | None, span: Span) -> CaseCost | None:
    """What the case cost, by its CAPA in force (`capa`), counted in the span that version
    was filed in."""
    if capa is None or not span.contains(capa.filed_at):
        return None
    deduction = _decimal(capa.fields.get("deduction_amount"))
    hours = _decimal(capa.fields.get("working_hours"))
    if not deduction and not hours:
        return None
    return CaseCost(
        case.case_id,
        case.customer or "",
        _department_label(policy, capa.fields.get("responsible_department") or case.department),
        deduction,
        hours,
        _department_label(policy, capa.fields.get("working_hours_department")),
        capa.filed_at,
        case.site,
    )


def _by_department(costs: list[CaseCost]) -> list[DepartmentCost]:
    deductions: dict[str, Decimal] = defaultdict(Decimal)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    cases: dict[str, set[str]] = defaultdict(set)
    for c in costs:
        if c.deduction:
            deductions[c.responsible_department or none()] += c.deduction
            cases[c.responsible_department or none()].add(c.case_id)
        if c.working_hours:
            hours[c.hours_to or none()] += c.working_hours
            cases[c.hours_to or none()].add(c.case_id)
    return [
        DepartmentCost(d, deductions[d], hours[d], len(cases[d]))
        for d in sorted(cases, key=lambda d: (-(deductions[d] + hours[d]), d))
    ]


def _by_site(
    sites: list[str], cases: list[Case], out: Figures, span: Span, as_of: datetime
) -> list[SiteCount]:
    """Each site's share of `out`, by site code: a row for each of `sites`."""
    rows = []
    for site in sites:
        own = [c for c in cases if c.site == site]
        open_cases = [c for c in out.open_cases if c.site == site]
        costs = [c for c in out.costs if c.site == site]
        rows.append(
            SiteCount(
                site,
                sum(1 for c in own if span.contains(c.opened_at)),
                sum(1 for c in own if _closed_in(c, span, as_of)),
                len(open_cases),
                sum(1 for c in open_cases if c.overdue),
                sum(1 for r in out.repeats if r.site == site),
                sum((c.deduction for c in costs), Decimal(0)),
                sum((c.working_hours for c in costs), Decimal(0)),
            )
        )
    return rows
