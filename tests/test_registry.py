"""The registry: recorded migrations, case numbers, append-only history; each test that is
not about SQLite's file runs on both backends (a SQLite file, a PostgreSQL database)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from filing.records import Case, Event, Filing
from filing.registry import Registry, RegistryError
from filing.registry.schema import MIGRATIONS

NOW = datetime(2026, 11, 20, 9, 30)

#: A new connection to the test's one registry (the same file, or the same database).
Opener = Callable[[], Registry]


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "sqlite":
        path = tmp_path / ".closedloop" / "registry.sqlite"
        return lambda: Registry(path)
    url = request.getfixturevalue("postgres_url")
    return lambda: Registry(tmp_path / "unused.sqlite", url=url, site="SZ")


def integrity_errors() -> tuple[type[Exception], ...]:
    import psycopg

    return (sqlite3.IntegrityError, psycopg.IntegrityError)


def new_case(reg: Registry, year: int = 2026) -> Case:
    with reg.transaction():
        case = Case(reg.next_case_id(year), "awaiting_triage", NOW, NOW, customer="ACME")
        reg.save_case(case)
    return case


def test_migrations_are_applied_once_and_recorded(opener: Opener) -> None:
    with opener() as reg:
        assert reg.schema_version() == MIGRATIONS[-1][0]
        rows = reg.db.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()
        assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in MIGRATIONS]
    with opener() as reg:
        assert reg.migrate() == []


def test_every_migration_is_written_for_postgresql_too() -> None:
    from filing.registry.postgres_schema import POSTGRES_MIGRATIONS

    assert sorted(POSTGRES_MIGRATIONS) == [v for v, _n, _s in MIGRATIONS]


def test_a_newer_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    Registry(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO migrations VALUES (99, 'future', '2030-01-01')")
    db.commit()
    db.close()
    with pytest.raises(RegistryError, match=r"made by a newer closedloop .* upgrade closedloop"):
        Registry(path)


def test_case_numbers_are_sequential_per_year_and_never_reused(opener: Opener) -> None:
    with opener() as reg:
        assert [new_case(reg).case_id for _ in range(3)] == [
            "CC-2026-0001",
            "CC-2026-0002",
            "CC-2026-0003",
        ]
        assert new_case(reg, 2027).case_id == "CC-2027-0001"
        with pytest.raises(integrity_errors(), match="cases are never deleted"):
            reg.db.execute("DELETE FROM cases WHERE case_id = 'CC-2026-0003'")
        assert new_case(reg).case_id == "CC-2026-0004"
        with pytest.raises(RegistryError, match="only inside a transaction"):
            reg.next_case_id(2026)


def test_two_writers_never_get_the_same_number(opener: Opener) -> None:
    opener().close()
    got: list[str] = []

    def worker() -> None:
        with opener() as reg:
            for _ in range(20):
                got.append(new_case(reg).case_id)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [f"CC-2026-{n:04d}" for n in range(1, 61)]


def test_case_round_trip_and_filings(opener: Opener) -> None:
    with opener() as reg:
        case = new_case(reg)
        case.parts = {"capa": "open", "return": "done"}
        case.actions_done_on = date(2026, 11, 27)
        case.repeats = ["CC-2025-0100"]
        case.containment_needed = True
        with reg.transaction():
            reg.save_case(case)
            reg.add_filing(
                Filing(
                    case.case_id,
                    "registration",
                    1,
                    NOW,
                    "01 registration v1.docx",
                    "ab" * 32,
                    "Li",
                    {"customer": "ACME", "goods_received_date": "2026-11-02"},
                )
            )
        assert reg.case(case.case_id) == case
        assert reg.latest_filing(case.case_id, "registration").fields["customer"] == "ACME"  # type: ignore[union-attr]
        assert reg.filing_by_sha256("ab" * 32).case_id == case.case_id  # type: ignore[union-attr]
        assert reg.case("CC-2026-9999") is None


def test_history_is_append_only(opener: Opener) -> None:
    with opener() as reg:
        case = new_case(reg)
        reg.append_history(
            Event(case.case_id, NOW, "filed", "registration", "ab" * 32, "Li", "registered")
        )
        with pytest.raises(integrity_errors(), match="history is append-only"):
            reg.db.execute("UPDATE history SET person = 'someone else'")
        with pytest.raises(integrity_errors(), match="history is append-only"):
            reg.db.execute("DELETE FROM history")
        with pytest.raises(integrity_errors(), match="the archive chain is append-only"):
            reg.db.execute("DELETE FROM chain")
        assert [e.person for e in reg.history(case.case_id)] == ["Li"]


def test_a_failed_transaction_leaves_nothing(opener: Opener) -> None:
    with opener() as reg:
        with pytest.raises(RuntimeError), reg.transaction():
            reg.save_case(Case(reg.next_case_id(2026), "open", NOW, NOW))
            raise RuntimeError("crash between steps")
        assert reg.cases() == []
        assert new_case(reg).case_id == "CC-2026-0001"  # nobody ever saw the rolled-back one


def test_a_damaged_registry_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RegistryError, match="rebuild it from the archive"):
        Registry(path)


def test_an_older_registry_is_upgraded_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filing.registry.schema

    path = tmp_path / "r.sqlite"
    monkeypatch.setattr(filing.registry.schema, "MIGRATIONS", MIGRATIONS[:1])
    with Registry(path) as old:  # as the first release wrote it
        case = Case("CC-2026-0001", "open", NOW, NOW, customer="ACME  windows", product="W-200")
        old.db.execute(
            "INSERT INTO cases (case_id, state, opened_at, received_at, customer, product) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                case.case_id,
                case.state,
                NOW.isoformat(),
                NOW.isoformat(),
                case.customer,
                case.product,
            ),
        )
        old.db.execute(
            "INSERT INTO filings (case_id, form, version, filed_at, file, sha256, person, fields) "
            "VALUES (?, 'registration', 1, ?, '01 registration v1.docx', ?, NULL, '{}')",
            (case.case_id, NOW.isoformat(), "cd" * 32),
        )
    monkeypatch.setattr(filing.registry.schema, "MIGRATIONS", MIGRATIONS)
    with Registry(path) as reg:
        assert reg.schema_version() == MIGRATIONS[-1][0]
        kept = reg.filing_by_sha256("cd" * 32)
        assert kept is not None and kept.source is None and kept.case_id == case.case_id
        # the compare keys of migration 5 were filled in for the cases already there
        since = NOW - timedelta(days=1)
        assert reg.similar_cases(since, "Acme Windows", "w-200", None) == [case.case_id]


def test_a_carried_out_plan_leaves_the_journal_with_the_next_commit(opener: Opener) -> None:
    """drop_pending costs no synced commit of its own: the row goes with the next
    transaction, or at close; a rolled-back transaction keeps it for the one after."""

    def rows() -> list[int]:
        with opener() as other:  # what another connection sees: the committed rows
            return [r[0] for r in other.db.execute("SELECT id FROM pending ORDER BY id")]

    now = datetime(2026, 11, 23, 10, 0)
    with opener() as registry:
        with registry.transaction():
            first = registry.add_pending("{}", now)
            second = registry.add_pending("{}", now)
        registry.drop_pending(first)
        assert registry.pending() == [(second, "{}")]  # carried out: not for recovery
        assert rows() == [first, second]  # not yet deleted
        with pytest.raises(RuntimeError), registry.transaction():
            raise RuntimeError("a filing fails")
        assert rows() == [first, second]
        with registry.transaction():
            pass
        assert rows() == [second]
        registry.drop_pending(second)
    assert rows() == []  # at close
