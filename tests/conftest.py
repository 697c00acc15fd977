from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.office import LibreOffice, soffice
from tests.postgres import postgres_cluster, postgres_url  # noqa: F401 - fixtures for every test module
from tests.smtp import mailbox, port  # noqa: F401 - fixtures for every test module

try:
    import resource
except ImportError:  # Windows: no address-space limit to set
    resource = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def corpus_root() -> Path:
    return Path(os.environ.get("CLOSEDLOOP_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_root()
    if not root.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared corpus is missing at {root}")
        pytest.skip(f"no shared corpus at {root} (set CLOSEDLOOP_CORPUS)")
    return root


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    binary = soffice()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    return LibreOffice(binary, tmp_path_factory.mktemp("lo-profile"))


@pytest.fixture(autouse=True)
def _os_budget(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked `budget` (hostile files) run under limits the OS enforces, as the
    issue asks of them: at most `megabytes` more address space than the test process has
    when it starts (RLIMIT_AS: an allocation past it fails) and `seconds` of wall time
    (SIGALRM fails the test). Both are put back afterwards; lowering a soft limit and
    raising it back up to the hard limit needs no privilege."""
    marker = request.node.get_closest_marker("budget")
    if marker is None or resource is None:
        yield
        return
    seconds = float(marker.kwargs.get("seconds", 5))
    megabytes = int(marker.kwargs.get("megabytes", 500))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def out_of_time(signum: int, frame: object) -> None:
        raise TimeoutError(f"the test ran past its budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, out_of_time)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    """This process's address space now (VmSize), in bytes."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")
