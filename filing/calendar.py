"""Working days: weekends, a country's public holidays (with its make-up working days,
as China's calendar has) from the maintained `holidays` library, and a site's own days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays

from filing.errors import PolicyError
from filing.policy import CalendarPolicy
from language import _

# A deadline counts forward at most this far; a calendar with no working day in a year of
# days is a settings mistake, not a long deadline.
_MAX_SCAN_DAYS = 366


class WorkingCalendar:
    def __init__(self, policy: CalendarPolicy) -> None:
        self.policy = policy
        # Made once: checking the country is making its calendar (it fills years lazily).
        self._public: Any = None
        if policy.country is not None:
            try:
                self._public = holidays.country_holidays(policy.country, subdiv=policy.subdivision)
            except (NotImplementedError, KeyError) as exc:
                raise PolicyError(
                    "calendar.country",
                    _(
                        "'{country}' is not a country the holidays library knows ({error}); "
                        "use a two-letter code like CN, DE or US, or leave it empty"
                    ).format(country=policy.country, error=exc),
                ) from None

    def is_working_day(self, day: date) -> bool:
        if day in self.policy.extra_holidays:
            return False
        if day in self.policy.extra_workdays:
            return True
        if self._public is None:
            return day.weekday() < 5
        return bool(self._public.is_working_day(day))

    def holiday_name(self, day: date) -> str | None:
        if day in self.policy.extra_holidays:
            return "site day off"
        return self._public.get(day) if self._public is not None else None

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (start itself never counts)."""
        day, counted = start, 0
        for _step in range(_MAX_SCAN_DAYS * max(days, 1)):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return day
        raise PolicyError(
            "calendar",
            _("no {days} working days within a year after {start}").format(days=days, start=start),
        )

    def earliest_start(self, day: date, days: int) -> date:
        """The earliest start whose `add_working_days(start, days)` is on or after `day`:
        its inverse, to look back from a day at what can fall due on it. Looking back stops
        where looking forward gives up: from further back no `days` working days reach `day`,
        and add_working_days refuses."""
        days = max(days, 1)  # as add_working_days counts: the next working day at least
        start, counted = day - timedelta(days=1), 0  # the working days after start, before day
        for _step in range(_MAX_SCAN_DAYS * days):
            if self.is_working_day(start):
                if counted + 1 >= days:
                    return start
                counted += 1
            start -= timedelta(days=1)
        return start
