"""A look at every outbox (each `ingest`, each rescan of `watch`) that would write the same
To do pages does not go through every open case again (#16): it looks again once something
is filed, something owed falls due, a page is gone, or the clock is set back."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.jobs.outbox
from tests.scenario import Folder
from tests.test_scenarios import register


def test_the_outboxes_are_gone_through_only_when_their_pages_could_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, "2026-11-20T10:00")
    passes: list[int] = []
    real = app.jobs.outbox.owed_now

    def counted(*args: object) -> object:
        passes.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(app.jobs.outbox, "owed_now", counted)
    assert folder.ingest("2026-11-20T10:05") == []
    assert passes == []  # nothing filed, nothing fell due since the last look
    [todo] = [
        page
        for page in (folder.root / "Outbox").glob("*/To do.html")
        if "CC-2026-0001" in page.read_text(encoding="utf-8")
    ]
    assert todo.is_file() and '<span class="late">' not in todo.read_text(encoding="utf-8")
    todo.unlink()
    assert folder.ingest("2026-11-20T10:06") == []
    assert passes == [1] and todo.is_file()  # a page gone: written again
    # Days later the CAPA's deadline has passed: the page says so without anything filed.
    assert folder.ingest("2026-12-20T10:00") == []
    assert len(passes) == 2
    assert '<span class="late">' in todo.read_text(encoding="utf-8")
    assert folder.ingest("2026-12-20T10:05") == []
    assert len(passes) == 2
    register(folder, "2026-12-20T11:00", Customer="Another Customer")
    assert len(passes) >= 3  # something filed: the outboxes are looked at again
