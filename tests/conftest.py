from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.office import LibreOffice, soffice

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
