"""Deadlines on a working calendar: weekends, public holidays, make-up working days, site days."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from filing.calendar import WorkingCalendar
from filing.deadlines import CaseClock, deadlines, earliest_counted_from
from filing.errors import PolicyError
from filing.policy import CalendarPolicy, DeadlinePolicy

CN = WorkingCalendar(CalendarPolicy(country="CN"))


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday
        (date(2026, 11, 20), 5, date(2026, 11, 27)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day week off
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday 10 Oct is a make-up working day
        (date(2026, 4, 30), 1, date(2026, 5, 6)),  # Labour Day holidays
    ],
)
def test_working_days_in_china(start: date, days: int, expected: date) -> None:
    assert CN.add_working_days(start, days) == expected


def test_site_days_off_and_extra_working_days() -> None:
    site = WorkingCalendar(
        CalendarPolicy(
            country=None,
            extra_holidays=frozenset({date(2026, 11, 23)}),
            extra_workdays=frozenset({date(2026, 11, 22)}),
        )
    )
    assert site.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 22)  # a working Sunday
    assert site.add_working_days(date(2026, 11, 22), 1) == date(2026, 11, 24)  # Monday off
    assert site.holiday_name(date(2026, 11, 23)) == "site day off"


def test_unknown_country_is_a_named_settings_mistake() -> None:
    with pytest.raises(
        PolicyError, match=re.escape("setting 'calendar.country': 'XX' is not a country")
    ):
        WorkingCalendar(CalendarPolicy(country="XX"))


def test_deadlines_across_a_weekend_met_late_open_overdue() -> None:
    clock = CaseClock(
        received_at=datetime(2026, 11, 20, 16, 0),  # Friday afternoon
        registered_at=datetime(2026, 11, 20, 16, 30),
        triaged_at=datetime(2026, 11, 23, 9, 0),
        containment_needed=True,
        confirmed_at=datetime(2026, 11, 23, 17, 0),  # Monday: in time
        contained_at=datetime(2026, 11, 20, 21, 0),  # 4.5 hours: late
    )
    got = {d.name: d for d in deadlines(clock, DeadlinePolicy(), CN)}
    assert list(got) == ["confirm", "containment", "actions", "close"]
    assert got["confirm"].due == datetime(2026, 11, 23, 23, 59, 59)
    assert got["containment"].due == datetime(2026, 11, 20, 20, 30)
    assert got["actions"].due == datetime(2026, 11, 30, 23, 59, 59)
    assert got["close"].due == datetime(2026, 12, 18, 23, 59, 59)
    now = datetime(2026, 12, 1, 8, 0)
    assert {n: d.status(now) for n, d in got.items()} == {
        "confirm": "met",
        "containment": "late",
        "actions": "overdue",
        "close": "open",
    }
    assert got["actions"].to_json(now) == {
        "name": "actions",
        "due": "2026-11-30T23:59:59",
        "met_at": None,
        "status": "overdue",
    }


def test_actions_done_on_the_due_day_are_met_and_untriaged_cases_have_no_actions_deadline() -> None:
    clock = CaseClock(
        received_at=datetime(2026, 9, 29, 10, 0),
        triaged_at=datetime(2026, 9, 30, 11, 0),
        actions_done_on=date(2026, 10, 13),
    )
    got = {d.name: d for d in deadlines(clock, DeadlinePolicy(), CN)}
    assert got["actions"].due == datetime(2026, 10, 13, 23, 59, 59)  # across National Day
    assert got["actions"].status(datetime(2026, 10, 20)) == "met"
    assert "containment" not in got
    untriaged = deadlines(CaseClock(received_at=datetime(2026, 9, 29, 10, 0)), DeadlinePolicy(), CN)
    assert [d.name for d in untriaged] == ["confirm", "close"]


@pytest.mark.parametrize("days", [0, 1, 5, 20])
def test_looking_back_is_adding_working_days_undone(days: int) -> None:
    """earliest_start(day, n) is the earliest start from which n working days reach `day`
    (China's calendar, National Day and the Spring Festival included)."""
    start = date(2025, 9, 1)
    for offset in range(0, 460, 3):
        day = start + timedelta(days=60 + offset)
        first = CN.earliest_start(day, days)
        assert CN.add_working_days(first, days) >= day
        assert CN.add_working_days(first - timedelta(days=1), days) < day


@pytest.mark.parametrize(
    "policy",
    [
        DeadlinePolicy(),
        DeadlinePolicy(confirm_working_days=9, actions_working_days=30, close_days=3),
    ],
)
def test_no_deadline_counted_from_before_the_bound_falls_due_from_the_day(
    policy: DeadlinePolicy,
) -> None:
    """What a report reads rests on this: every deadline of a case whose receipt,
    registration and triage were all before earliest_counted_from(day) fell due before
    `day`; and the bound is no further back than one of them needs."""
    for day in (date(2026, 2, 23), date(2026, 10, 9), date(2026, 11, 23)):
        bound = earliest_counted_from(policy, CN, day)
        counts = datetime.combine(day, time(0))
        for back in range(1, 120):
            at = datetime.combine(day - timedelta(days=back), time(23, 59, 59))
            clock = CaseClock(received_at=at, triaged_at=at, containment_needed=True)
            due = max(d.due for d in deadlines(clock, policy, CN))
            assert (due >= counts) == (at.date() >= bound), (day, at)
