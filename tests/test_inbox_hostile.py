"""The Inbox as an attacker and an unlucky user leave it: links, FIFOs, deep folders,
names that jam, names that are not UTF-8, huge files, a lost registry. Every entry ends
filed, quarantined beside a note, or reported; nothing outside the shared folder is
read, written or removed; no name stops the folder."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from closedloop.cli import cli
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder

NOW = "2026-11-20T10:00"
pytestmark = pytest.mark.budget(seconds=5, megabytes=500)


def register(folder: Folder, tmp_path: Path, name: str = "reg.docx", **labels: str) -> str:
    staged = tmp_path / "staged.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, {**REGISTRATION, **labels})
    shutil.move(staged, folder.root / "Inbox" / name)
    [result] = [r for r in folder.ingest(NOW) if r["outcome"] == "filed"]
    case_id: str = result["case_id"]
    return case_id


def ingest(root: Path, now: str = NOW) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(cli, ["ingest", str(root), "--json", "--now", now])
    if result.exit_code == 2:  # one error object, indented
        return result.exit_code, [], result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    # The pass ran (0 here); its exit code says whether it refused anything (1) or not.
    refused = any(r["outcome"] == "refused" for r in lines)
    assert result.exit_code == (1 if refused else 0), result.output
    return 0, lines, result.output


def quarantined(root: Path) -> dict[str, str]:
    """Quarantine's entries (as names) and their notes' texts."""
    out = {}
    for entry in (root / "Quarantine").iterdir():
        if entry.name.endswith(" - what to fix.txt"):
            out[entry.name] = entry.read_text(encoding="utf-8")
    return out


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the shared folder, holding a file that must never be touched."""
    place = tmp_path / "outside"
    place.mkdir()
    (place / "secret.txt").write_bytes(b"do not touch")
    return place


def test_an_evidence_folder_swapped_for_a_link_is_never_gone_through(
    tmp_path: Path, outside: Path
) -> None:
    folder = Folder(tmp_path / "share")
    case_id = register(folder, tmp_path)
    evidence = folder.root / "Inbox" / case_id
    evidence.mkdir()
    (evidence / "secret.txt").write_bytes(b"do not touch")
    code, results, _ = ingest(folder.root)
    assert code == 0 and results[0]["outcome"] == "filed", results
    # The same bytes, now behind a link: the "already filed" path must not unlink them.
    evidence.rmdir() if evidence.exists() else None
    evidence.symlink_to(outside, target_is_directory=True)
    (outside / "new.jpg").write_bytes(b"\xff\xd8\xff new")
    code, results, _ = ingest(folder.root)
    assert code == 0, results
    assert (outside / "secret.txt").read_bytes() == b"do not touch"
    assert (outside / "new.jpg").exists()
    [result] = results
    assert result["outcome"] == "refused" and "link" in result["reason"]
    assert (folder.root / "Quarantine" / case_id).is_symlink()  # the link itself, moved
    [note] = quarantined(folder.root).values()
    assert "closedloop never follows links" in note
    # Nothing was filed from outside, and later passes run clean.
    assert not list((tmp_path / "share" / "Archive").rglob("new.jpg"))
    assert ingest(folder.root)[0] == 0


def test_a_linked_file_in_an_evidence_folder_is_not_copied(tmp_path: Path, outside: Path) -> None:
    folder = Folder(tmp_path / "share")
    case_id = register(folder, tmp_path)
    evidence = folder.root / "Inbox" / case_id
    evidence.mkdir()
    (evidence / "photo.jpg").symlink_to(outside / "secret.txt")
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "refused"
    assert result["file"] == f"{case_id}/photo.jpg"
    archived = [p.read_bytes() for p in (folder.root / "Archive").rglob("*") if p.is_file()]
    assert b"do not touch" not in archived
    assert (outside / "secret.txt").read_bytes() == b"do not touch"
    assert (folder.root / "Quarantine" / "photo.jpg").is_symlink()


def test_fifos_and_dangling_and_looping_links_are_quarantined_with_a_note(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    inbox = folder.root / "Inbox"
    os.mkfifo(inbox / "pipe.docx")  # opening it for reading would wait for ever
    (inbox / "dangling.docx").symlink_to(tmp_path / "nowhere.docx")
    (inbox / "loop.docx").symlink_to(inbox / "loop.docx")
    code, results, _ = ingest(folder.root)
    assert code == 0
    assert {r["file"]: r["outcome"] for r in results} == {
        "pipe.docx": "refused",
        "dangling.docx": "refused",
        "loop.docx": "refused",
    }
    notes = quarantined(folder.root)
    assert "it is a named pipe (FIFO), not a file." in notes["pipe.docx - what to fix.txt"]
    assert "it is a link (shortcut)" in notes["loop.docx - what to fix.txt"]
    assert not list(inbox.iterdir())


def test_files_deeper_than_the_evidence_folder_are_filed(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    case_id = register(folder, tmp_path)
    deep = folder.root / "Inbox" / case_id / "site visit" / "day 1"
    deep.mkdir(parents=True)
    (deep / "photo.jpg").write_bytes(b"\xff\xd8\xff a photo")
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "filed", result
    [kept] = (folder.root / "Archive").rglob("evidence/*")
    assert kept.name == "site visit - day 1 - photo.jpg"
    assert kept.read_bytes() == b"\xff\xd8\xff a photo"


def test_a_long_chinese_name_is_quarantined_and_never_jams_the_folder(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    name = "客户投诉登记表" * 11 + "坏.docx"  # 78 characters, 236 bytes: a valid name
    assert len(name.encode()) < 255
    (folder.root / "Inbox" / name).write_bytes(b"not a form at all")
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "refused", result
    names = os.listdir(folder.root / "Quarantine")
    assert len(names) == 2 and all(len(n.encode()) <= 255 for n in names)
    [copy] = [n for n in names if n.endswith(".docx")]
    assert (folder.root / "Quarantine" / copy).read_bytes() == b"not a form at all"
    # Twice more the same name: each fits, none stops the pass.
    for _ in range(2):
        (folder.root / "Inbox" / name).write_bytes(b"not a form either" + os.urandom(4))
        code, [result], _ = ingest(folder.root)
        assert code == 0 and result["outcome"] == "refused"
    assert all(len(n.encode()) <= 255 for n in os.listdir(folder.root / "Quarantine"))
    assert len(os.listdir(folder.root / "Quarantine")) == 6


def test_a_name_that_is_not_utf8_is_shown_escaped_and_quarantined(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    raw = os.fsencode(folder.root / "Inbox") + b"/bad\xff\xfename.docx"
    with open(raw, "wb") as fh:
        fh.write(b"not a form")
    code, [result], output = ingest(folder.root)
    assert code == 0, output
    assert result["file"] == "bad\\xff\\xfename.docx" and result["outcome"] == "refused"
    assert not os.listdir(folder.root / "Inbox")
    notes = quarantined(folder.root)
    [note] = notes.values()
    assert "bad\\xff\\xfename.docx" in note


def test_a_sparse_huge_file_is_refused_without_being_read(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    huge = folder.root / "Inbox" / "huge.docx"
    with huge.open("wb") as fh:
        fh.truncate(8 * 2**30)  # 8 GB that take no disk: reading it whole would take minutes
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "refused", result
    assert "8192 MB" in result["reason"]
    notes = quarantined(folder.root)
    assert "too large for a form" in notes["huge.docx - what to fix.txt"]


def test_evidence_over_the_settings_cap_is_quarantined(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    case_id = register(folder, tmp_path)
    folder.setting("max_evidence_mb = 200", "max_evidence_mb = 1")
    evidence = folder.root / "Inbox" / case_id
    evidence.mkdir()
    with (evidence / "video.mp4").open("wb") as fh:
        fh.truncate(3 * 2**20)
    (evidence / "photo.jpg").write_bytes(b"\xff\xd8\xff small")
    code, results, _ = ingest(folder.root)
    assert code == 0
    outcomes = {r["file"]: r["outcome"] for r in results}
    assert outcomes == {f"{case_id}/video.mp4": "refused", f"{case_id}/photo.jpg": "filed"}
    note = quarantined(folder.root)["video.mp4 - what to fix.txt"]
    assert "it is 3 MB, more than the 1 MB a file for a case may be" in note


def test_a_lost_registry_is_never_made_anew_over_an_archive(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    first = register(folder, tmp_path)
    # The kept listing of the Archive's numbers edited to say it holds none, its folders'
    # stamps left as they are: a registry about to be made looks at the Archive itself.
    record = folder.root / ".closedloop" / "archive-numbers.json"
    kept = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps({**kept, "highest": {}}), encoding="utf-8")
    (folder.root / ".closedloop" / "registry.sqlite").unlink()
    staged = tmp_path / "again.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, {**REGISTRATION, "Customer": "Other Co"})
    shutil.move(staged, folder.root / "Inbox" / "again.docx")
    code, _, output = ingest(folder.root)
    assert code == 2, output
    assert "the registry is missing" in output and "closedloop rebuild" in output
    assert (folder.root / "Inbox" / "again.docx").exists()
    assert not (folder.root / ".closedloop" / "registry.sqlite").exists()
    folder.run("rebuild", str(folder.root))
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["case_id"] != first and result["case_id"] > first


def test_numbering_never_goes_below_the_archive(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, tmp_path)
    # The numbering row lost (a registry restored from an old backup, say).
    db = sqlite3.connect(folder.root / ".closedloop" / "registry.sqlite")
    db.execute("DELETE FROM case_numbers")
    db.commit()
    db.close()
    second = register(folder, tmp_path, name="two.docx", Customer="Other Co")
    assert second == "CC-2026-0002"
    assert len(list((folder.root / "Archive").glob("CC-2026-0001*"))) == 1


def test_an_outbox_made_a_link_out_of_the_folder_is_not_written_through(
    tmp_path: Path, outside: Path
) -> None:
    folder = Folder(tmp_path / "share")
    window = folder.root / "Outbox" / "Customer Window"
    shutil.rmtree(window)
    window.symlink_to(outside, target_is_directory=True)
    staged = tmp_path / "staged.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, REGISTRATION)
    shutil.move(staged, folder.root / "Inbox" / "reg.docx")
    code, _, output = ingest(folder.root)
    assert code == 2 and "Customer Window: this folder is a link to" in output, output
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert (folder.root / "Inbox" / "reg.docx").exists()  # nothing filed, nothing lost


def test_a_jammed_filing_is_reported_by_doctor_and_never_stops_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import archive.journal

    folder = Folder(tmp_path / "share")
    real_move = archive.journal.move_ours

    def disk_full(source: Path, into: object, as_name: str) -> bool:
        raise OSError(errno.ENOSPC, "No space left on device", as_name)

    monkeypatch.setattr(archive.journal, "move_ours", disk_full)
    staged = tmp_path / "staged.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, REGISTRATION)
    shutil.move(staged, folder.root / "Inbox" / "reg.docx")
    code, results, output = ingest(folder.root)
    assert code == 0, output
    doctor = CliRunner().invoke(cli, ["doctor", str(folder.root)])
    assert doctor.exit_code != 0
    assert "1 filing committed since 2026-11-20 10:00 could not put all" in doctor.output
    # A second file is filed while the first plan waits; then the disk has room again.
    (folder.root / "Inbox" / "junk.docx").write_bytes(b"not a form")
    code, results, _ = ingest(folder.root)
    assert code == 0
    assert any("could not be put in place" in (r["reason"] or "") for r in results)
    monkeypatch.setattr(archive.journal, "move_ours", real_move)
    code, _, _ = ingest(folder.root)
    assert code == 0
    assert list(
        (folder.root / "Archive").glob("CC-2026-0001*/01 Complaint Registration Form v1.docx")
    )
    doctor = CliRunner().invoke(cli, ["doctor", str(folder.root)])
    assert "every filing's files are in place" in doctor.output


def test_a_date_no_loop_can_hold_is_refused_and_the_folder_goes_on(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    staged = tmp_path / "staged.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, {**REGISTRATION, "Received at (date and time)": "9999-12-31 23:59"})
    shutil.move(staged, folder.root / "Inbox" / "typo.docx")
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "refused", result
    assert (
        "'9999-12-31 23:59' is not a date this loop can hold (years 1900 to 2100)"
        in (result["reason"])
    )
    assert register(folder, tmp_path) == "CC-2026-0001"
    assert ingest(folder.root)[0] == 0


def test_a_case_folder_no_closedloop_made_lifts_no_numbering(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    (folder.root / "Archive" / "CC-2026-99999999999999999999").mkdir()
    (folder.root / "Archive" / "CC-2026-9223372036854775807").mkdir()
    assert register(folder, tmp_path) == "CC-2026-0001"


def test_a_database_that_is_not_the_registry_is_never_made_into_one(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, tmp_path)
    path = folder.root / ".closedloop" / "registry.sqlite"
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    code, _, output = ingest(folder.root)
    assert code == 2 and "is not a closedloop registry" in output, output
    assert "closedloop rebuild" in output


def test_a_folder_closedloop_writes_into_made_a_link_stops_it(
    tmp_path: Path, outside: Path
) -> None:
    folder = Folder(tmp_path / "share")
    quarantine = folder.root / "Quarantine"
    quarantine.rmdir()
    quarantine.symlink_to(outside, target_is_directory=True)
    (folder.root / "Inbox" / "junk.docx").write_bytes(b"not a form")
    code, _, output = ingest(folder.root)
    assert code == 2
    assert f"{quarantine}: this folder is a link to {outside}" in " ".join(output.split())
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert (folder.root / "Inbox" / "junk.docx").exists()
    doctor = CliRunner().invoke(cli, ["doctor", str(folder.root)])
    assert doctor.exit_code != 0 and "is a link to" in doctor.output


def test_evidence_names_keep_their_extension_and_lose_invisible_characters(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    case_id = register(folder, tmp_path, Customer="ACME\u009b2J\u202eevil")
    [case_dir] = (folder.root / "Archive").glob(f"{case_id}*")
    assert case_dir.name == f"{case_id} ACME2Jevil"
    evidence = folder.root / "Inbox" / case_id
    evidence.mkdir()
    (evidence / ("图" * 80 + ".jpg")).write_bytes(b"\xff\xd8\xff photo")
    code, [result], _ = ingest(folder.root)
    assert code == 0 and result["outcome"] == "filed"
    [kept] = (case_dir / "evidence").iterdir()
    assert kept.suffix == ".jpg" and len(kept.name.encode()) <= 120


def test_verify_never_makes_a_foreign_database_into_the_registry(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, tmp_path)
    path = folder.root / ".closedloop" / "registry.sqlite"
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    result = CliRunner().invoke(cli, ["verify", str(folder.root)])
    assert "is not a closedloop registry" in result.output
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["t"]
    db.close()
    assert ingest(folder.root)[0] == 2  # still refused, pointing to rebuild


def test_a_registry_file_that_is_a_link_is_never_read_or_written(
    tmp_path: Path, outside: Path
) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, tmp_path)
    registry = folder.root / ".closedloop" / "registry.sqlite"
    shutil.move(registry, outside / "registry.sqlite")
    registry.symlink_to(outside / "registry.sqlite")
    before = (outside / "registry.sqlite").read_bytes()
    for command in (["ingest", str(folder.root)], ["rebuild", str(folder.root)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert "is not the registry's own file (it is a link to" in " ".join(result.output.split())
    assert (outside / "registry.sqlite").read_bytes() == before
    assert sorted(os.listdir(outside)) == ["registry.sqlite", "secret.txt"]


def test_numbering_stays_above_long_case_numbers_in_the_archive(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    assert register(folder, tmp_path) == "CC-2026-0001"
    (folder.root / "Archive" / "CC-2026-999999 X").mkdir()
    (folder.root / "Archive" / "CC-2026-1000005 X").mkdir()
    assert register(folder, tmp_path, name="two.docx", Customer="B") == "CC-2026-1000006"


def _with_relationship(
    path: Path, rel_type: str, target: str, mode: str = "External", picture: bool = False
) -> None:
    """Add to the document's relationships one to `target`, outside the document (what
    Word writes for a picture inserted with 'Link to file', or for a hyperlink); with
    `picture`, a picture in the body takes it as its source (r:link)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    rels = "word/_rels/document.xml.rels"
    added = (
        f'<Relationship Id="rIdOut" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/{rel_type}" Target="{target}" TargetMode="{mode}"/>'
    )
    parts[rels] = parts[rels].replace(b"</Relationships>", added.encode() + b"</Relationships>")
    if picture:
        blip = (
            b'<w:p><w:r><a:blip xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
            b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
            b' r:link="rIdOut"/></w:r></w:p>'
        )
        body = parts["word/document.xml"]
        parts["word/document.xml"] = body.replace(b"<w:sectPr", blip + b"<w:sectPr", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_form_showing_a_picture_linked_from_outside_is_refused_unfetched(
    tmp_path: Path, outside: Path
) -> None:
    """LibreOffice would fetch a linked picture (any path, any address) when it renders the
    closure packet, and the archive would not hold what the form showed."""
    folder = Folder(tmp_path / "share")
    staged = tmp_path / "linked.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, REGISTRATION)
    _with_relationship(staged, "image", (outside / "secret.txt").as_uri())
    shutil.move(staged, folder.root / "Inbox" / "linked.docx")
    _, results, _ = ingest(folder.root)
    assert [(r["outcome"], r["refusal"]) for r in results] == [("refused", "linked_content")]
    note = quarantined(folder.root)["linked.docx - what to fix.txt"]
    assert f"links to {(outside / 'secret.txt').as_uri()}, outside the document" in note
    assert "Insert it again without 'Link to file'" in note
    # The same in other guises: a mode in lower case (LibreOffice takes it so), a picture
    # whose source is a relationship typed as a hyperlink.
    for name, guise in (
        ("lower.docx", {"rel_type": "image", "mode": "external"}),
        ("hyperlinked.docx", {"rel_type": "hyperlink", "picture": True}),
    ):
        staged = tmp_path / name
        shutil.copyfile(folder.blank("registration"), staged)
        fill_docx(staged, REGISTRATION)
        _with_relationship(staged, target="http://127.0.0.1:9/x.png", **guise)  # type: ignore[arg-type]
        shutil.move(staged, folder.root / "Inbox" / name)
        _, results, _ = ingest(folder.root)
        assert [(r["outcome"], r["refusal"]) for r in results] == [("refused", "linked_content")]
    # A hyperlink is followed only by a reader who clicks it: the form is filed.
    staged = tmp_path / "hyperlink.docx"
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, {**REGISTRATION, "Customer": "Globex"})
    _with_relationship(staged, "hyperlink", "https://example.com/complaint")
    shutil.move(staged, folder.root / "Inbox" / "hyperlink.docx")
    _, results, _ = ingest(folder.root)
    assert [r["outcome"] for r in results] == ["filed"], results
