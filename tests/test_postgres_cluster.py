"""The throw-away PostgreSQL cluster of tests/postgres.py: a fresh database per test,
reached over its URL, and connections that can be cut as a crash or a network fault
would cut them."""

from __future__ import annotations

import psycopg
import pytest

from tests.postgres import Cluster

_seen: list[str] = []


def _dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_database_keeps_what_is_written_over_its_url(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE cases (number integer PRIMARY KEY, customer text)")
        conn.execute("INSERT INTO cases VALUES (%s, %s)", (1, "Müller 客户"))
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT number, customer FROM cases").fetchall()
        encoding = conn.execute("SHOW server_encoding").fetchone()
    assert rows == [(1, "Müller 客户")]
    assert encoding == ("UTF8",)


def test_the_server_listens_on_loopback_and_keeps_commits_durable(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        fsync = conn.execute("SHOW fsync").fetchone()
        synchronous = conn.execute("SHOW synchronous_commit").fetchone()
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert (fsync, synchronous, listen) == (("on",), ("on",), ("127.0.0.1",))


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_gets_an_empty_database_of_its_own(
    postgres_cluster: Cluster, postgres_url: str, turn: str
) -> None:
    """Whichever of the two runs second sees a URL unlike the first's, and the first's
    database gone."""
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)
        conn.execute("CREATE TABLE mine (turn text)")
        conn.execute("INSERT INTO mine VALUES (%s)", (turn,))
        names = conn.execute("SELECT datname FROM pg_database").fetchall()
    assert postgres_url not in _seen
    assert (_dbname(postgres_url),) in names
    assert not {(_dbname(url),) for url in _seen} & set(names)
    _seen.append(postgres_url)


def test_a_database_made_from_a_template_has_its_tables(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE cases (number integer)")
        conn.execute("INSERT INTO cases VALUES (7)")
    copy = postgres_cluster.create_database("t_copy", template=_dbname(postgres_url))
    try:
        assert copy == postgres_cluster.url("t_copy") != postgres_url
        with psycopg.connect(copy) as conn:
            assert conn.execute("SELECT number FROM cases").fetchall() == [(7,)]
    finally:
        postgres_cluster.drop_database("t_copy")
    with psycopg.connect(postgres_cluster.url()) as conn:
        gone = conn.execute("SELECT count(*) FROM pg_database WHERE datname = 't_copy'")
        assert gone.fetchone() == (0,)


def test_terminated_connections_fail_on_their_next_query(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE cases (number integer)")
        conn.commit()
        assert postgres_cluster.terminate_connections(_dbname(postgres_url)) == 1
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT count(*) FROM cases")
        assert conn.closed
    with psycopg.connect(postgres_url) as conn:  # the database itself is fine
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (0,)


def test_a_restart_drops_connections_and_keeps_what_was_committed(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE cases (number integer)")
        conn.execute("INSERT INTO cases VALUES (1)")
        conn.commit()
        postgres_cluster.restart()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT number FROM cases").fetchall() == [(1,)]
