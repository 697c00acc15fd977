"""The live service under load: a burst of 500 forms, and every foreign file of the
shared corpus, each dropped into the Inbox of a running watcher."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.results import FileResult
from tests.consistency import assert_consistent, sha256
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder
from tests.settings import quiet_settings
from tests.test_corpus import EXPECTED
from tests.test_watch import until
from watcher.service import Watcher


@pytest.fixture(params=["native", "polling"])
def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Folder, list[FileResult]]]:
    folder = Folder(tmp_path / "share")
    results: list[FileResult] = []
    poll = 0.5 if request.param == "polling" else None
    w = Watcher(folder.root, quiet_settings(window=0.3, poll=poll), on_result=results.append)
    w.start()
    yield folder, results
    w.stop()
    assert not w.failed


def variants(filled: Path, n: int) -> list[bytes]:
    """n copies of a form filled by label, each for its own customer (changed in the XML
    as typing would change it)."""
    with zipfile.ZipFile(filled) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    out = []
    for i in range(n):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                if info.filename == "word/document.xml":
                    data = data.replace(b"BURST-CUSTOMER", f"Burst customer {i:03d}".encode())
                z.writestr(info, data)
        out.append(buf.getvalue())
    return out


@pytest.mark.heavy
def test_a_burst_of_500_forms_is_filed_once_each(
    service: tuple[Folder, list[FileResult]], tmp_path: Path
) -> None:
    folder, results = service
    filled = tmp_path / "filled.docx"
    shutil.copyfile(folder.blank("registration"), filled)
    fill_docx(
        filled, {**REGISTRATION, "Customer": "BURST-CUSTOMER", "Complaint established": "yes"}
    )
    ready = tmp_path / "ready"
    ready.mkdir()
    saved = []
    for i, data in enumerate(variants(filled, 500)):
        (ready / f"complaint {i:03d}.docx").write_bytes(data)
        saved.append((f"complaint {i:03d}.docx", sha256(ready / f"complaint {i:03d}.docx")))
    for path in sorted(ready.iterdir()):  # all at once, as a colleague pasting a folder
        path.replace(folder.root / "Inbox" / path.name)
    until(lambda: len(results) >= 500, timeout=240)
    assert sorted(r.file for r in results) == sorted(name for name, _ in saved)  # once each
    assert {r.outcome for r in results} == {"filed"}
    capas = list((folder.root / "Outbox" / "Storage & Transportation").glob("*.docx"))
    assert len(capas) == 500
    until(lambda: not any((folder.root / "Inbox").iterdir()))
    assert_consistent(folder.root, saved)


def test_every_corpus_file_dropped_into_a_running_service_gets_its_refusal(
    service: tuple[Folder, list[FileResult]], corpus: Path, tmp_path: Path
) -> None:
    folder, results = service
    inbox = folder.root / "Inbox"
    expected: dict[str, str] = {}
    for name, kind in EXPECTED.items():
        source = corpus / name
        if source.name in expected:
            continue  # two corpus files of one name: the Inbox holds one
        expected[source.name] = kind
        staged = tmp_path / source.name
        shutil.copyfile(source, staged)
        staged.replace(inbox / source.name)
    lock_files = {name for name, kind in expected.items() if kind == "lock_file"}
    until(lambda: len(results) >= len(expected) - len(lock_files), timeout=240)
    kinds = {r.file: (r.outcome, r.refusal) for r in results}
    assert kinds == {
        name: ("refused", kind) for name, kind in expected.items() if name not in lock_files
    }
    for name in kinds:
        assert (folder.root / "Quarantine" / f"{name} - what to fix.txt").is_file()
    assert {p.name for p in inbox.iterdir()} == lock_files  # an owner file: not ours to move
    # and the service is alive: a good form after all that is filed
    good = tmp_path / "good.docx"
    shutil.copyfile(folder.blank("registration"), good)
    fill_docx(good, {**REGISTRATION, "Complaint established": "yes"})
    good.replace(inbox / "good.docx")
    until(lambda: any(r.file == "good.docx" for r in results))
    assert results[-1].outcome == "filed"
