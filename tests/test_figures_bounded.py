"""A report's figures read only the cases that can count in its span (#16): the open ones
and those closed lately, and their CAPAs in one query. They are the figures the whole
register gave, read case by case as before: proved here against that reading, kept in
`FullScan`, over a register of two years with cases closed long before, closed just before
a span with a deadline due in it, open across it, reopened, with CAPA versions before and
after the report's moment, across China's long holidays and a site's shutdown; on SQLite
and on a PostgreSQL registry three sites share."""

from __future__ import annotations

import hashlib
import io
import random
import re
import sqlite3
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from filing.policy import CalendarPolicy, DeadlinePolicy, Policy
from filing.records import Case, Filing
from filing.registry import Registry
from filing.states import Resolution
from reports.figures import SiteCount, Span, figures, trend_span
from reports.report import html_bytes, quarterly_report, weekly_report, workbook_bytes

START = datetime(2025, 9, 1, 8, 0)
NOW = datetime(2026, 11, 25, 15, 30)  # a Wednesday of 2026-W48
SITES = ("SZ", "WX")
WRITTEN = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")
SHUTDOWN = frozenset(date(2026, 7, 27) + timedelta(days=i) for i in range(21))
POLICIES = {
    "default": Policy(),
    # Long deadlines in working days, three weeks shut, a short close: the actions due
    # reach furthest back, seven weeks across the shutdown.
    "long": Policy(
        calendar=CalendarPolicy(extra_holidays=SHUTDOWN),
        deadlines=DeadlinePolicy(
            confirm_working_days=3, containment_hours=60, actions_working_days=20, close_days=14
        ),
    ),
}


class FullScan(Registry):
    """The figures' reads as they were before #16: every case of the register, then each
    one's filings for its CAPA in force."""

    def cases_in_play(
        self, opened_by: datetime, closed_since: datetime, *, every_site: bool = False
    ) -> list[Case]:
        return self.cases(every_site=True) if every_site else self.cases()

    def latest_filings_in_play(
        self,
        form: str,
        filed_by: datetime,
        opened_by: datetime,
        closed_since: datetime,
        *,
        every_site: bool = False,
    ) -> dict[str, Filing]:
        latest = {}
        for case in self.cases_in_play(opened_by, closed_since, every_site=every_site):
            found = None
            for f in self.filings(case.case_id):
                if (
                    f.form == form
                    and f.filed_at <= filed_by
                    and (found is None or f.version > found.version)
                ):
                    found = f
            if found is not None:
                latest[case.case_id] = found
        return latest

    def case_sites(self, opened_by: datetime | None = None) -> list[str]:
        every = self.cases(every_site=True)
        return sorted({c.site for c in every if opened_by is None or c.opened_at <= opened_by})


class Counted(Registry):
    """A registry that counts the cases the figures read."""

    read = 0

    def cases_in_play(
        self, opened_by: datetime, closed_since: datetime, *, every_site: bool = False
    ) -> list[Case]:
        found = super().cases_in_play(opened_by, closed_since, every_site=every_site)
        self.read += len(found)
        return found


def filed(reg: Registry, case: Case, at: datetime, version: int, fields: dict[str, Any]) -> None:
    sha = hashlib.sha256(f"{case.case_id} {version}".encode()).hexdigest()
    reg.add_filing(
        Filing(
            case.case_id,
            "capa",
            version,
            at,
            f"0{version + 2} capa v{version}.docx",
            sha,
            "Li",
            fields,
        )
    )


def capa_fields(rng: random.Random) -> dict[str, Any]:
    person = rng.choice(["Li", "Wang", ""])
    actions = [
        {"owner": rng.choice(["Zhao", "Qian", ""]), "done": rng.random() < 0.5}
        for _ in range(rng.randrange(3))
    ]
    return {
        "responsible_person": person,
        "actions": actions,
        "deduction_amount": rng.choice(["", "0", "120.50", "800", "not a number"]),
        "working_hours": rng.choice(["", "2", "7.5"]),
        "responsible_department": rng.choice(["production", "rnd", None]),
        "working_hours_department": rng.choice(["after_sales", "", None]),
    }


def save(reg: Registry, case: Case, capas: list[datetime], rng: random.Random) -> None:
    with reg.transaction():
        reg.save_case(case)
        for version, at in enumerate(capas, 1):
            filed(reg, case, at, version, capa_fields(rng))


def new_case(reg: Registry, opened: datetime, site: str, **values: Any) -> Case:
    with reg.transaction():
        number = reg.next_case_id(opened.year)
    values = {"state": "open", "received_at": opened, **values}
    return Case(case_id=number, opened_at=opened, site=site, **values)


def register(reg: Registry, sites: tuple[str, ...]) -> int:
    """Two years of cases as filing leaves them (a receipt no later than the registration's
    day, a triage before the closing, CAPAs filed while the case was open), and the cases
    at the edges of a span written out. Returns how many cases there are."""
    rng = random.Random(16)
    minutes = int((NOW - START).total_seconds() // 60)
    earlier: list[Case] = []
    for _ in range(220):
        opened = START + timedelta(minutes=rng.randrange(minutes))
        if opened.year == 2026 and rng.random() < 0.5:
            opened -= timedelta(days=200)  # more of the register long closed
        received = datetime.combine(
            opened.date() - timedelta(days=rng.choice([0, 0, 1, 3, 9])),
            time(rng.choice([0, 9, 23])),  # on the registration's day, perhaps after it
        )
        triaged = opened + timedelta(hours=rng.choice([1, 6, 30, 100, 400]))
        triaged = triaged if rng.random() < 0.85 and triaged < NOW else None
        closed = None
        if triaged is not None and rng.random() < 0.8:
            closed = triaged + timedelta(hours=rng.choice([2, 20, 150, 500, 900, 2000]))
            closed = closed if closed < NOW else None
        product = rng.choice(["W-200", "D-100", "G-10", "P-7"])
        repeats = [c.case_id for c in earlier if c.product == product][-3:]
        case = new_case(
            reg,
            opened,
            rng.choice(sites),
            received_at=received,
            state="closed" if closed else ("open" if triaged else "awaiting_triage"),
            resolution=rng.choice(["accepted", "not_established", None]) if triaged else None,
            customer=rng.choice(["ACME", "Beta", None]),
            product=product,
            category=rng.choice(["transport_damage", "quality", None]),
            department=rng.choice(["production", "after_sales", None]),
            closed_at=closed,
            triaged_at=triaged,
            containment_needed=rng.random() < 0.4,
            confirmed_at=received + timedelta(hours=rng.choice([3, 30, 90]))
            if rng.random() < 0.7
            else None,
            contained_at=opened + timedelta(hours=rng.choice([2, 6]))
            if rng.random() < 0.5
            else None,
            actions_done_on=(triaged + timedelta(days=rng.choice([2, 9]))).date()
            if triaged and rng.random() < 0.6
            else None,
            repeats=repeats,
            repeats_total=len(repeats) + rng.choice([0, 0, 4]),
        )
        capas: list[datetime] = []
        if triaged is not None:
            end = closed or NOW
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                capas.append(triaged + (end - triaged) * rng.random())
            capas.sort()
        save(reg, case, capas, rng)
        earlier.append(case)
        if closed is not None and rng.random() < 0.15:  # the customer did not accept
            again = new_case(
                reg,
                closed,
                case.site,
                received_at=closed,
                reopens=case.case_id,
                state="awaiting_triage",
                customer=case.customer,
                product=product,
            )
            case.reopened_as, case.resolution = again.case_id, Resolution.REJECTED
            save(reg, again, [], rng)
            save(reg, case, [], rng)
            earlier.append(again)
    return len(earlier) + edges(reg, sites, rng)


def edges(reg: Registry, sites: tuple[str, ...], rng: random.Random) -> int:
    """The cases at the edges of 2026-W48 (23-29 November) and of 2026-W40."""
    site = sites[0]
    cases = [
        # Received and closed on the Friday before: confirming it falls due in W48.
        (datetime(2026, 11, 20, 17), datetime(2026, 11, 20, 18), datetime(2026, 11, 20, 19), []),
        # Closed 25 days before W48; its close deadline (28 days from receipt) falls in it.
        (datetime(2026, 10, 27, 9), datetime(2026, 10, 28, 9), datetime(2026, 10, 30, 9), []),
        # Triaged and closed the week before the shutdown: its actions fall due seven weeks
        # later under the long policy (on 7 September, 2026-W37).
        (datetime(2026, 7, 17, 9), datetime(2026, 7, 20, 9), datetime(2026, 7, 21, 9), []),
        # Triaged on the eve of National Day: its actions fall due after the week off (W40-41).
        (datetime(2026, 9, 29, 9), datetime(2026, 9, 30, 10), datetime(2026, 9, 30, 16), []),
        # Open across the span, CAPA v2 filed at the moment a report of W47 stands at, v3 after.
        (
            datetime(2026, 10, 1, 9),
            datetime(2026, 10, 2, 9),
            None,
            [
                datetime(2026, 10, 5, 9),
                datetime(2026, 11, 22, 23, 59, 59),
                datetime(2026, 11, 24, 8),
            ],
        ),
        # Closed in W48 after its only CAPA, filed in W47.
        (
            datetime(2026, 11, 2, 9),
            datetime(2026, 11, 3, 9),
            datetime(2026, 11, 24, 9),
            [datetime(2026, 11, 18, 10)],
        ),
    ]
    for opened, triaged, closed, capas in cases:
        case = new_case(
            reg,
            opened,
            site,
            received_at=datetime.combine(opened.date(), time(0)),
            state="closed" if closed else "open",
            triaged_at=triaged,
            closed_at=closed,
            containment_needed=True,
            customer="Edge",
            product="E-1",
        )
        save(reg, case, capas, rng)
    if len(sites) > 1:
        # A site whose cases all closed long ago still has its row in the group's table.
        for n in range(3):
            opened = datetime(2025, 9, 10 + n, 9)
            case = new_case(
                reg,
                opened,
                "HK",
                received_at=opened,
                state="closed",
                triaged_at=opened + timedelta(hours=2),
                closed_at=opened + timedelta(days=3),
            )
            save(reg, case, [opened + timedelta(days=1)], rng)
        return len(cases) + 3
    return len(cases)


@pytest.fixture(params=["sqlite", "postgresql"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, tuple[str, ...], int]:
    """How to open the register as a given kind of Registry, its sites, how many cases."""
    if request.param == "sqlite":
        path = tmp_path / ".closedloop" / "registry.sqlite"

        def on_sqlite(kind: type[Registry] = Registry) -> Registry:
            return kind(path)

        with on_sqlite() as reg:
            return on_sqlite, ("",), register(reg, ("",))
    url = request.getfixturevalue("postgres_url")

    def on_postgres(kind: type[Registry] = Registry) -> Registry:
        return kind(tmp_path / "unused", url=url, site="SZ")

    with on_postgres() as reg:
        return on_postgres, SITES, register(reg, SITES)


def spans() -> list[tuple[Span, datetime]]:
    """Every week of the register, each as a report made at NOW and its trend; each
    quarter; and a week looked at in its middle."""
    weeks, week = [], Span.week_of(START.date())
    while week.start <= NOW:
        weeks.append(week)
        week = Span.week_of(week.end.date())
    out = [(w, NOW) for w in weeks] + [(trend_span(w), NOW) for w in weeks[::3]]
    out += [(Span.quarter(y, q), NOW) for y, q in ((2025, 3), (2025, 4), (2026, 1), (2026, 3))]
    out += [(Span.week("2026-W40"), datetime(2026, 10, 1, 12)), (Span.quarter(2026, 4), NOW)]
    return out


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
def test_the_figures_are_those_of_the_whole_register(opened: Any, policy: Policy) -> None:
    open_as, sites, total = opened
    with open_as() as reg, open_as(FullScan) as full:
        for span, now in spans():
            assert figures(reg, policy, span, now) == figures(full, policy, span, now), span.label
    with open_as(Counted) as counted:
        group = figures(counted, policy, Span.week("2026-W48"), NOW)
    # The week's figures read the open cases and the lately closed, not the register.
    assert counted.read < total / 2, (counted.read, total)
    if len(sites) > 1:
        assert [s.site for s in group.by_site] == ["HK", "SZ", "WX"]
        assert group.by_site[0] == SiteCount("HK")


def parts(xlsx: bytes) -> dict[str, bytes]:
    """A workbook's parts, byte for byte, but for the moment it was written (openpyxl
    stamps it, to the second, as the zip does each part)."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return {name: WRITTEN.sub(b"", z.read(name)) for name in z.namelist()}


def test_the_reports_are_byte_for_byte_those_of_the_whole_register(opened: Any) -> None:
    open_as, _sites, _total = opened
    policy = POLICIES["default"]
    with open_as() as reg, open_as(FullScan) as full:
        for week in ("2026-W48", "2026-W41", "2026-W05"):
            now = NOW if week == "2026-W48" else NOW - timedelta(days=3)
            mine, theirs = (
                weekly_report(r, policy, Span.week(week), now, "Co.") for r in (reg, full)
            )
            assert html_bytes(mine) == html_bytes(theirs)
            assert parts(workbook_bytes(mine)) == parts(workbook_bytes(theirs))
        mine, theirs = (quarterly_report(r, policy, 2026, 3, NOW, "Co.") for r in (reg, full))
        assert html_bytes(mine) == html_bytes(theirs)
        assert parts(workbook_bytes(mine)) == parts(workbook_bytes(theirs))


def test_a_report_reads_no_table_whole(tmp_path: Path) -> None:
    """Every query the figures make goes by an index (SQLite's plans), so that what they
    cost stays the span's, however large the archive grows."""
    with Registry(tmp_path / "registry.sqlite") as reg:
        register(reg, ("",))
        said: list[str] = []
        connection: sqlite3.Connection = reg.db.connection
        connection.set_trace_callback(said.append)
        figures(reg, Policy(), Span.week("2026-W48"), NOW)
        connection.set_trace_callback(None)
        queries = [q for q in said if q.lstrip().upper().startswith(("SELECT", "WITH"))]
        plans = [row[3] for q in queries for row in connection.execute(f"EXPLAIN QUERY PLAN {q}")]
    assert len(queries) == 2  # the cases, then their CAPAs: nothing for each case
    whole = [p for p in plans if re.match(r"SCAN (cases|filings|c)\b", p)]
    assert not whole, plans
