"""A throw-away PostgreSQL cluster for the tests: `Cluster` (initdb into a folder of its
own, a server on a free loopback port, databases made and dropped over psycopg), and the
fixtures `postgres_cluster` (one cluster per test session) and `postgres_url` (a fresh
database per test), which tests/conftest.py offers every test module.

The binaries are `initdb` and `pg_ctl` on PATH, else the newest Debian install under
/usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root the cluster runs
as the `postgres` user (made by Debian's package) in a folder under /tmp that user owns.
Without the binaries (or as root without a `postgres` user) the fixtures skip, or fail
when CLOSEDLOOP_REQUIRE_POSTGRES=1 (CI sets it, so a missing install is never silently
skipped). The server keeps fsync and synchronous_commit on: the crash tests rely on
what is committed being durable."""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, LiteralString

import pytest

if TYPE_CHECKING:
    from psycopg.sql import Composed

SUPERUSER = "closedloop"
REQUIRE_ENV = "CLOSEDLOOP_REQUIRE_POSTGRES"
START_TIMEOUT = 30  # seconds to wait for the server to accept connections
_DEBIAN = Path("/usr/lib/postgresql")


class PostgresUnavailable(Exception):
    """PostgreSQL cannot run here (no binaries, no psycopg, root without `postgres`)."""


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: theirs on PATH, else the newest
    /usr/lib/postgresql/<version>/bin; None when neither has them."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        folder = Path(initdb).parent
        if (folder / "pg_ctl").is_file():
            return folder
        pg_ctl = shutil.which("pg_ctl")
        if pg_ctl is not None:
            # Symlinks on PATH (as /usr/local/bin here): the real folder holds both.
            real = Path(initdb).resolve().parent
            if (real / "pg_ctl").is_file():
                return real
    versions = sorted(
        (int(m.group(1)), child / "bin")
        for child in (_DEBIAN.iterdir() if _DEBIAN.is_dir() else [])
        if (m := re.fullmatch(r"(\d+)(?:\.\d+)?", child.name))
        and (child / "bin" / "initdb").is_file()
        and (child / "bin" / "pg_ctl").is_file()
    )
    return versions[-1][1] if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One throw-away PostgreSQL cluster: `Cluster()` runs initdb and starts the server;
    `stop()` (or leaving a `with` block) kills it and removes its folder."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir if bin_dir is not None else find_binaries()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL is not installed: no initdb and pg_ctl on PATH nor under "
                f"{_DEBIAN}/*/bin (Debian's package `postgresql`)"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise PostgresUnavailable(f"psycopg (3) is not installed: {exc}") from exc
        self.bin_dir = found
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root, and PostgreSQL refuses root: it needs a `postgres` "
                    "user to run as (Debian's package `postgresql` makes one)"
                ) from None
        # A folder of its own under /tmp, not pytest's tmp_path: that one's parents are
        # mode 700 for root, and the server (as `postgres`) must reach its socket folder.
        self.folder = Path(tempfile.mkdtemp(prefix="closedloop-pg-", dir="/tmp"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.sockets = self.folder / "sockets"
        self.log = self.folder / "server.log"
        self.data.mkdir(mode=0o700)
        self.sockets.mkdir(mode=0o755)
        if self._user is not None:
            for path in (self.folder, self.data, self.sockets):
                os.chown(path, self._user.pw_uid, self._user.pw_gid)
        self.port = 0
        self._running = False
        try:
            self._initdb()
            self._start()
        except BaseException:
            self.stop()
            raise

    # -- the cluster --------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def restart(self) -> None:
        """Stop the server (fast: clients are disconnected, what is committed is kept)
        and start it again on the same port."""
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", str(START_TIMEOUT), *self._start_args())
        self._wait_ready()

    def pause(self) -> None:
        """Stop the server (fast: clients are disconnected), keeping the cluster: a
        database server away, until resume()."""
        self._pg_ctl("stop", "-D", str(self.data), "-m", "fast", "-w")

    def resume(self) -> None:
        """Start a paused server again, on the same port."""
        self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT), *self._start_args())
        self._wait_ready()

    def stop(self) -> None:
        """Kill the server (immediate: no checkpoint, nothing more to keep) and remove
        the cluster's folder. Safe to call twice."""
        if self._running:
            self._running = False
            try:
                self._pg_ctl("stop", "-D", str(self.data), "-m", "immediate", "-w")
            except (RuntimeError, subprocess.SubprocessError, OSError):
                self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _kill(self) -> None:
        """What `pg_ctl stop -m immediate` does, by hand: SIGQUIT to the postmaster."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # raises once it is gone
                time.sleep(0.05)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ----------------------------------------------------------------------

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (from `template` if given); returns its URL."""
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name` if it exists, ending whatever is connected to it."""
        from psycopg import sql

        self.terminate_connections(name)
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def terminate_connections(self, dbname: str) -> int:
        """End every connection to `dbname` as a server crash or a network cut would end
        it (the client's next query fails with psycopg.OperationalError); returns how
        many were ended. Waits (up to 5 s each) until they are gone."""
        rows = self._execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
        return sum(1 for row in rows if row[0])

    # -- inside -------------------------------------------------------------------------

    def _execute(
        self, statement: LiteralString | Composed, params: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Run one statement in autocommit as the superuser; its rows, if any."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description is not None else []

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program, as `postgres` when we are root."""
        env: Mapping[str, str] = {
            key: value for key, value in os.environ.items() if not key.startswith("PG")
        }
        user: dict[str, Any] = {}
        if self._user is not None:
            user = {
                "user": self._user.pw_uid,
                "group": self._user.pw_gid,
                "extra_groups": [],
            }
            env = {**env, "HOME": str(self.folder), "USER": "postgres", "LOGNAME": "postgres"}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **user,
        )

    def _initdb(self) -> None:
        failure = ""
        for locale in ("C.UTF-8", "C"):
            done = self._run(
                "initdb",
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                f"--locale={locale}",
                "--no-sync",
                "--no-instructions",
            )
            if done.returncode == 0:
                return
            failure = done.stdout + done.stderr
            if "locale" not in failure.lower():
                break
            # No C.UTF-8 on this system: initdb with the plain C locale instead.
            shutil.rmtree(self.data, ignore_errors=True)
            self.data.mkdir(mode=0o700)
            if self._user is not None:
                os.chown(self.data, self._user.pw_uid, self._user.pw_gid)
        raise RuntimeError(f"initdb failed:\n{failure}")

    def _start_args(self) -> list[str]:
        options = " ".join(
            (
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.sockets}",
                "-c fsync=on",
                "-c synchronous_commit=on",
                "-c max_connections=200",
            )
        )
        return ["-D", str(self.data), "-l", str(self.log), "-o", options]

    def _pg_ctl(self, *args: str) -> None:
        done = self._run("pg_ctl", *args, timeout=START_TIMEOUT + 10)
        if done.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {args[0]} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}\n--- server log ---\n{self._log_text()}"
            )

    def _start(self) -> None:
        """Start the server on a free port; another try on another port if the one
        picked was taken in between."""
        self._running = True  # from now on stop() stops it, however far this gets
        for attempt in range(3):
            self.port = free_port()
            try:
                self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT), *self._start_args())
            except RuntimeError as exc:
                if attempt < 2 and "could not bind" in str(exc).lower():
                    continue
                raise
            self._wait_ready()
            return

    def _wait_ready(self) -> None:
        """Until a client connects over TCP, as the tests will (at most START_TIMEOUT)."""
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=5):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not accept connections on port {self.port} in "
                        f"{START_TIMEOUT} s: {exc}\n--- server log ---\n{self._log_text()}"
                    ) from exc
                time.sleep(0.05)

    def _log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throw-away cluster for the test session."""
    try:
        cluster = Cluster()
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1; .ci/run installs it)")
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh, empty database of the session's cluster, dropped afterwards."""
    name = f"t_{next(_databases)}_{os.getpid()}"
    url = postgres_cluster.create_database(name)
    try:
        yield url
    finally:
        postgres_cluster.drop_database(name)
