"""Every foreign file in ../shared/corpus gets its right refusal, fast, without a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from forms.errors import REFUSAL_KINDS, RefusedFile, refusal_fix
from forms.reader import read_form
from tests.conftest import DATA, corpus_root

GOLDEN = DATA / "corpus_refusals.tsv"


def _expected() -> dict[str, str]:
    rows = {}
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, kind = line.split("\t")
            rows[name] = kind
    return rows


EXPECTED = _expected()


def test_golden_file_lists_every_corpus_file(corpus: Path) -> None:
    on_disk = {str(p.relative_to(corpus)) for p in corpus.glob("*/*") if p.is_file()}
    assert on_disk == set(EXPECTED), "tests/data/corpus_refusals.tsv is out of date"
    assert set(EXPECTED.values()) <= set(REFUSAL_KINDS) | {"read"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gets_its_refusal(name: str) -> None:
    path = corpus_root() / name
    if not path.exists():
        pytest.skip(f"corpus file {name} is not here")
    started = time.perf_counter()
    try:
        read_form(path)
        kind, message = "read", ""
    except RefusedFile as exc:
        kind, message = exc.kind, exc.message
    elapsed = time.perf_counter() - started
    assert kind == EXPECTED[name]
    assert elapsed < 5, f"{name} took {elapsed:.1f}s"
    if kind != "read":
        # The message names the file, says why, and says what to do.
        assert message.startswith(path.name + ": ")
        assert refusal_fix(kind) in message
