"""The four deadlines of a case and where each stands at a given moment.

- confirm: the complaint confirmed to the customer by the end of the 1st working day
  after it was received;
- containment: product in production or shipment contained within 4 hours of the
  complaint's registration;
- actions: improvement actions done by the end of the 5th working day after triage;
- close: the case closed by the end of the 28th day after receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from filing.calendar import WorkingCalendar
from filing.policy import DeadlinePolicy

Status = Literal["open", "met", "late", "overdue"]
END_OF_DAY = time(23, 59, 59)
DEADLINE_NAMES = ("confirm", "containment", "actions", "close")


@dataclass(frozen=True)
class Deadline:
    name: str
    due: datetime
    met_at: datetime | None

    def status(self, now: datetime) -> Status:
        # Met only by what has happened: a time ahead of `now` (written as planned, or
        # looked at as of an earlier moment) does not meet the deadline yet.
        if self.met_at is not None and self.met_at <= now:
            return "met" if self.met_at <= self.due else "late"
        return "overdue" if now > self.due else "open"

    def to_json(self, now: datetime) -> dict[str, str | None]:
        return {
            "name": self.name,
            "due": self.due.isoformat(timespec="seconds"),
            "met_at": self.met_at.isoformat(timespec="seconds") if self.met_at else None,
            "status": self.status(now),
        }


@dataclass(frozen=True)
class CaseClock:
    """The moments of a case that deadlines count from and are met at."""

    received_at: datetime
    registered_at: datetime | None = None  # when the registration was filed; else receipt
    triaged_at: datetime | None = None
    containment_needed: bool = False
    confirmed_at: datetime | None = None
    contained_at: datetime | None = None
    actions_done_on: date | None = None
    closed_at: datetime | None = None
    actions_needed: bool = True  # a complaint found not established has no actions to take


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY)


def deadlines(
    clock: CaseClock, policy: DeadlinePolicy, calendar: WorkingCalendar
) -> list[Deadline]:
    """The case's deadlines, in the order of DEADLINE_NAMES, leaving out those that do not
    apply (containment when none is needed; actions before triage, or when the complaint
    was not established)."""
    received = clock.received_at
    out = [
        Deadline(
            "confirm",
            _end_of(calendar.add_working_days(received.date(), policy.confirm_working_days)),
            clock.confirmed_at,
        )
    ]
    if clock.containment_needed:
        registered = clock.registered_at or received
        out.append(
            Deadline(
                "containment",
                registered + timedelta(hours=policy.containment_hours),
                clock.contained_at,
            )
        )
    if clock.triaged_at is not None and clock.actions_needed:
        # Actions are done on a date: met when that date is on or before the due date.
        done = datetime.combine(clock.actions_done_on, time(0)) if clock.actions_done_on else None
        due = _end_of(
            calendar.add_working_days(clock.triaged_at.date(), policy.actions_working_days)
        )
        out.append(Deadline("actions", due, done))
    out.append(
        Deadline(
            "close", _end_of(received.date() + timedelta(days=policy.close_days)), clock.closed_at
        )
    )
    return out


def earliest_counted_from(policy: DeadlinePolicy, calendar: WorkingCalendar, day: date) -> date:
    """The earliest day a deadline can count from (a receipt, a registration, a triage) and
    still fall due on or after `day`: each deadline above worked backwards, on the calendar
    itself, so that a longer deadline or a long holiday moves it back as far as it must. A
    case whose every such moment was before this day has no deadline due from `day` on."""
    return min(
        calendar.earliest_start(day, policy.confirm_working_days),
        (datetime.combine(day, time(0)) - timedelta(hours=policy.containment_hours)).date(),
        calendar.earliest_start(day, policy.actions_working_days),
        day - timedelta(days=policy.close_days),
    )
