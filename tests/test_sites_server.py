"""A site's service while its shared registry's server is away (#15): started while it is
down, it waits and files once the server is back; stopped under it mid-run, the same.
Nothing is filed half-way and nothing is lost: the Inbox keeps the files meanwhile."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.consistency import assert_consistent
from tests.postgres import Cluster, PostgresUnavailable
from tests.scenario import watch_process
from tests.test_sites import registration, site_folder


def until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is stopped and started under the service."""
    try:
        cluster = Cluster()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    with cluster:
        yield cluster


def _filed(root: Path) -> int:
    return sum(1 for p in (root / "Archive").glob("CC-*") if p.is_dir())


def _log(root: Path) -> str:
    try:
        return (root / ".closedloop" / "watch.log").read_text(encoding="utf-8")
    except OSError:
        return ""


@pytest.mark.heavy
def test_a_site_waits_for_its_server_at_start_and_while_it_is_away(
    own_cluster: Cluster, tmp_path: Path
) -> None:
    url = own_cluster.create_database("registry")
    site = site_folder(tmp_path / "suzhou", url, "SZ")
    work = tmp_path / "work"
    work.mkdir()
    own_cluster.pause()
    proc = watch_process(site.root)
    try:
        until(lambda: "the service waits for it" in _log(site.root))
        registration(site, work, "a.docx").replace(site.root / "Inbox" / "a.docx")
        until(lambda: "trying again in" in _log(site.root))
        assert proc.poll() is None, "the service gave up while the server was away"
        assert (site.root / "Inbox" / "a.docx").exists() and _filed(site.root) == 0
        own_cluster.resume()
        until(lambda: _filed(site.root) == 1)
        until(lambda: not (site.root / "Inbox" / "a.docx").exists())
        # Away again, mid-run: the next file waits in the Inbox, and is filed once back.
        waits = _log(site.root).count("trying again in")
        own_cluster.pause()
        registration(site, work, "b.docx", Customer="Globex").replace(
            site.root / "Inbox" / "b.docx"
        )
        until(lambda: _log(site.root).count("trying again in") > waits)
        assert proc.poll() is None and (site.root / "Inbox" / "b.docx").exists()
        own_cluster.resume()
        until(lambda: _filed(site.root) == 2)
        until(lambda: not any((site.root / "Inbox").iterdir()))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert_consistent(site.root, [])


@pytest.mark.heavy
def test_a_server_that_refuses_says_why(postgres_url: str, tmp_path: Path) -> None:
    """The pool only says it waited; the message gives the server's own reason."""
    from click.testing import CliRunner

    from closedloop.cli import cli

    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    site = site_folder(tmp_path / "suzhou", missing, "SZ")
    result = CliRunner().invoke(cli, ["ingest", str(site.root)])
    assert result.exit_code != 0
    assert "cannot be reached" in result.output
    assert 'database "no_such_database" does not exist' in result.output
    assert "the files wait in the Inbox and are tried again" in result.output
    assert "Traceback" not in result.output
    # A command that only reads has nothing waiting: it says only that it cannot reach it.
    listing = CliRunner().invoke(cli, ["cases", str(site.root)])
    assert listing.exit_code != 0 and "cannot be reached" in listing.output
    assert "Inbox" not in listing.output, listing.output
