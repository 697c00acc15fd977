"""Never lose, never duplicate: ingest stopped dead (kill -9) at every step, and a real
`closedloop watch` killed at random instants, then restarted. Each time the folder must
end exactly as a run that was never interrupted, every file filed or quarantined once.
Both on the folder's own SQLite registry and on a shared PostgreSQL one (as site SZ)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import filing.registry
import filing.registry.database
import forms.flush
from app.application import ingest
from tests.consistency import assert_consistent, sha256, state
from tests.office import fill_docx, fill_docx_table, fill_xlsx
from tests.postgres import Cluster
from tests.scenario import CAPA_DONE, REGISTRATION, Folder, watch_process
from tests.settings import quiet_settings

# A kill at every step of an ingest, and forty kills of a real watch: the longest tests.
pytestmark = pytest.mark.heavy

NOW = datetime(2026, 11, 23, 10, 0)
KILLED = 137
ACTIONS = (["Action", "Owner", "Due", "Done on"], [["Redesign foam", "Li", "2026-11-27", ""]])


def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


class Backend:
    """Where the folders' registries live: each folder's SQLite file (copied with it), or a
    PostgreSQL database per folder on the test cluster (copied as a template)."""

    def __init__(self, cluster: Cluster | None) -> None:
        self.cluster = cluster
        self._made = 0

    def share(self, root: Path, template: str | None = None) -> None:
        """Point the folder at a registry database of its own (from `template`'s)."""
        if self.cluster is None:
            return
        from filing.registry.postgres import close_pools

        close_pools()  # a template is copied only with no one connected to it
        self._made += 1
        name = f"crash_{os.getpid()}_{self._made}"
        if template is not None:
            self.cluster.terminate_connections(template)
        url = self.cluster.create_database(name, template)
        if template is not None:
            # The copy has a database of its own: there the site's folder is the copy (as
            # if moved), not the setup it was copied from (app/opening.py refuses a copy
            # opened while the original is there).
            import psycopg

            with psycopg.connect(url, autocommit=True) as db:
                db.execute("UPDATE sites SET root = %s", (str(root.resolve()),))
        settings = root / "closedloop.toml"
        text = settings.read_text(encoding="utf-8")
        if 'url = ""' in text:
            text = text.replace('url = ""\nsite = ""', f'url = "{url}"\nsite = "SZ"')
        else:
            text = text.replace(f'/{template}"', f'/{name}"')
        settings.write_text(text, encoding="utf-8")

    @staticmethod
    def database(root: Path) -> str | None:
        text = (root / "closedloop.toml").read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith('url = "postgresql://'):
                return line.rsplit("/", 1)[1].rstrip('"')
        return None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "sqlite":
        return Backend(None)
    return Backend(request.getfixturevalue("postgres_cluster"))


def _setup(
    tmp_path: Path, registrations: int, backend: Backend | None = None
) -> tuple[Path, list[Path]]:
    """A shared folder with one case under way, and the files people will save next:
    that case's CAPA, a photo for it, new complaints (Word and Excel), a broken file and
    a second copy of a complaint."""
    folder = Folder(tmp_path / "setup")
    if backend is not None:
        backend.share(folder.root)
    work = tmp_path / "work"
    work.mkdir()
    first = work / "first.docx"
    shutil.copyfile(folder.blank("registration"), first)
    fill_docx(first, {**REGISTRATION, "Complaint established": "yes"})
    first.replace(folder.root / "Inbox" / "first.docx")
    assert folder.ingest("2026-11-20T09:00")[0]["outcome"] == "filed"

    files: list[Path] = []
    capa = work / "capa.docx"
    shutil.copyfile(folder.outbox("Storage & Transportation", "CC-2026-0001", "capa"), capa)
    fill_docx(capa, {**CAPA_DONE, "Plan approved on": "2026-11-20"})  # approved by NOW
    fill_docx_table(capa, *ACTIONS)
    files.append(capa)
    photo = work / "CC-2026-0001" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of the cracked glass")
    files.append(photo)
    for i in range(registrations):
        new = work / f"complaint {i:02d}.docx"
        shutil.copyfile(folder.blank("registration"), new)
        fill_docx(
            new, {**REGISTRATION, "Customer": f"Customer {i:02d}", "Complaint established": "yes"}
        )
        files.append(new)
    sheet = work / "complaint.xlsx"
    shutil.copyfile(folder.blank("registration", "xlsx"), sheet)
    fill_xlsx(sheet, {**REGISTRATION, "Customer": "Excel Customer"})
    files.append(sheet)
    broken = work / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a document")
    files.append(broken)
    again = work / "complaint again.docx"
    shutil.copyfile(files[2], again)
    files.append(again)
    return folder.root, files


def _save_all(root: Path, files: list[Path]) -> list[tuple[str, str]]:
    """Put the files into the Inbox, oldest first in list order."""
    saved = []
    base = time.time() - 3600
    for n, source in enumerate(files):
        relative = source.relative_to(
            source.parents[1] if source.parent.name.startswith("CC-") else source.parent
        )
        target = root / "Inbox" / relative
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        os.utime(target, (base + n, base + n))
        saved.append((str(relative), sha256(target)))
    return saved


def _copy(setup: Path, to: Path, backend: Backend | None = None) -> Path:
    shutil.copytree(setup, to)
    if backend is not None:
        backend.share(to, Backend.database(setup))
    return to


@pytest.fixture(scope="module")
def workload(
    tmp_path_factory: pytest.TempPathFactory, backend: Backend
) -> tuple[Path, list[Path], dict[str, Any], Backend]:
    tmp = tmp_path_factory.mktemp("crash")
    setup, files = _setup(tmp, registrations=1, backend=backend)
    reference = _copy(setup, tmp / "reference", backend)
    saved = _save_all(reference, files)
    ingest(reference, quiet_settings(root=reference), NOW)
    assert_consistent(reference, saved)
    return setup, files, state(reference), backend


class _Db:
    """The registry's connection, stopping the process just before and after each commit."""

    def __init__(self, db: sqlite3.Connection, step: Callable[[], None]) -> None:
        self._db, self._step = db, step

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.strip().upper() != "COMMIT":
            return self._db.execute(sql, *args)
        self._step()
        cursor = self._db.execute(sql, *args)
        self._step()
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def _ingest_killed_at(root: Path, at: int) -> int:
    """Run ingest in a child process that dies (os._exit, as kill -9: no cleanup, no
    rollback handlers) at its `at`-th step: a rename, an unlink, an fsync or a syncfs, a
    folder removal, or either side of a commit. Returns the child's exit code: KILLED, or 0 if
    it finished in fewer steps."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    try:
        count = 0

        def step() -> None:
            nonlocal count
            count += 1
            if count == at:
                os._exit(KILLED)

        def stepping(fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                step()
                return fn(*args, **kwargs)

            return wrapped

        for name in ("replace", "rename", "unlink", "fsync", "rmdir"):
            setattr(os, name, stepping(getattr(os, name)))
        shutil.rmtree = stepping(shutil.rmtree)  # type: ignore[assignment]
        # A batch's files and folders made durable at once (one syncfs on a local disk).
        forms.flush._flush_device = stepping(forms.flush._flush_device)
        connect = sqlite3.connect
        filing.registry.database.sqlite3.connect = lambda *a, **k: _Db(connect(*a, **k), step)  # type: ignore[assignment]
        from filing.registry.postgres import PostgresDatabase

        commit = PostgresDatabase.commit

        def stepping_commit(self: PostgresDatabase) -> None:
            step()
            commit(self)
            step()

        PostgresDatabase.commit = stepping_commit  # type: ignore[method-assign]
        ingest(root, quiet_settings(root=root), NOW)
        os._exit(0)
    except BaseException:
        traceback.print_exc()
        os._exit(3)


def test_ingest_killed_at_every_step_ends_as_if_never_interrupted(
    workload: tuple[Path, list[Path], dict[str, Any], Backend], tmp_path: Path
) -> None:
    setup, files, expected, backend = workload
    steps = 0
    for at in range(1, 1000):
        root = _copy(setup, tmp_path / f"run{at}", backend)
        saved = _save_all(root, files)
        code = _ingest_killed_at(root, at)
        if code == 0:
            break
        assert code == KILLED, f"the ingest failed before step {at} (exit {code})"
        ingest(root, quiet_settings(root=root), NOW)  # the restart
        assert_consistent(root, saved)
        assert state(root) == expected, f"killed at step {at}"
        database = Backend.database(root)
        shutil.rmtree(root)
        if backend.cluster is not None and database is not None:
            from filing.registry.postgres import close_pools

            close_pools()
            backend.cluster.drop_database(database)
        steps = at
    assert steps > 6 * len(files), f"only {steps} steps: the crash points are not being hit"


def _log_lines(root: Path) -> int:
    log = root / ".closedloop" / "watch.log"
    return log.read_text(encoding="utf-8").count("\n") if log.exists() else 0


def test_watch_killed_at_random_instants_loses_and_duplicates_nothing(
    tmp_path: Path, backend: Backend
) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    setup, files = _setup(tmp_path, registrations=40, backend=backend)
    reference = _copy(setup, tmp_path / "reference", backend)
    _save_all(reference, files)
    ingest(reference, quiet_settings(root=reference), NOW)
    root = _copy(setup, tmp_path / "killed", backend)
    saved = _save_all(root, files)
    inbox = root / "Inbox"
    kills = 0
    while kills < 40 and any(p.is_file() for p in inbox.rglob("*")):
        lines = _log_lines(root)
        proc = watch_process(root)
        try:
            # Once the service is up ("watching" logged), let it work a random while.
            until(lambda lines=lines: "watching" in _tail(root, lines))  # type: ignore[misc]
            time.sleep(rng.uniform(0.0, 0.35))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += 1
    lines = _log_lines(root)
    proc = watch_process(root)  # the last run: left to finish, then stopped the polite way
    try:
        until(lambda: "watching" in _tail(root, lines))
        # The Inbox file goes last in a plan: once none is left, every plan is carried out
        # (their journal rows go with the stop; assert_consistent looks for any left).
        until(lambda: not any(p.is_file() for p in inbox.rglob("*")))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert kills >= 3, f"seed {seed}: the service finished before it could be killed often"
    assert_consistent(root, saved)
    assert state(root) == state(reference), f"seed {seed}, {kills} kills"


def _tail(root: Path, after: int) -> str:
    log = root / ".closedloop" / "watch.log"
    if not log.exists():
        return ""
    return "\n".join(log.read_text(encoding="utf-8").splitlines()[after:])
