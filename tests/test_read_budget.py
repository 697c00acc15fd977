"""No file costs a read more than a form can: each lie a small file can tell is refused
before it is paid for (issue 11, points 2 and 9).

Every file is made here, from our own forms or byte by byte (tests/zips.py). Each test
that refuses a file also checks what the refusal cost: wall time, and the peak of Python
allocations (the inflated bytes are Python objects) while reading.
"""

from __future__ import annotations

import base64
import bz2
import os
import random
import re
import struct
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from forms.container import MAX_RELATIONSHIPS, MAX_TOTAL_BYTES
from forms.definition import get_form
from forms.errors import RefusedFile
from forms.reader import FormRead, read_form
from forms.writer import render_form
from tests.conftest import DATA
from tests.zips import CENTRAL, END, LOCAL, Member, build, members_of, overlapping_bomb

# Each test under the OS-enforced budget the issue sets: 5 s of wall time, 500 MB.
pytestmark = pytest.mark.budget

MB = 2**20
REPO = Path(__file__).resolve().parent.parent

RETURN_VALUES = {
    "customer": "ACME Windows & Doors",
    "product": "W-200 casement",
    "returned_items": [{"item": "Glass pane", "quantity": 3}],
}


def form(tmp_path: Path, fmt: str, form_id: str = "return_form") -> Path:
    path = tmp_path / f"{form_id}.{fmt}"
    values = RETURN_VALUES if form_id == "return_form" else {}
    path.write_bytes(render_form(get_form(form_id), fmt, values))  # type: ignore[arg-type]
    return path


def edited(source: Path, out: Path, edit: Callable[[list[Member]], list[Member] | None]) -> Path:
    """source re-zipped byte by byte after `edit` changed its members (in place or anew)."""
    members = members_of(source)
    out.write_bytes(build(edit(members) or members))
    return out


def member(members: list[Member], name: str) -> Member:
    return next(m for m in members if m.name == name)


def content(source: Path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(source) as zf:
        return zf.read(name)


def cost(path: Path, trace: bool = True) -> tuple[FormRead | RefusedFile, float, int]:
    """The outcome of reading path, its wall time, and (traced) its peak of Python
    allocations; tracing slows the lxml element walks of a read that gets that far."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome: FormRead | RefusedFile = read_form(path)
    except RefusedFile as exc:
        outcome = exc
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    return outcome, elapsed, peak


def refused(path: Path, kind: str, *words: str, seconds: float = 2, mb: int = 64) -> str:
    """Assert path is refused as `kind`, naming `words`, within the budget; the message."""
    outcome, elapsed, peak = cost(path)
    assert isinstance(outcome, RefusedFile), f"{path.name} was read"
    assert (outcome.kind, outcome.message) == (kind, outcome.message)
    for w in words:
        assert w in outcome.message
    assert outcome.message.startswith(path.name + ": ")
    assert elapsed < seconds, f"{elapsed:.2f}s"
    assert peak < mb * MB, f"{peak / MB:.0f} MB"
    return outcome.message


def read_ok(path: Path, seconds: float = 2) -> FormRead:
    outcome, elapsed, _ = cost(path, trace=False)
    assert isinstance(outcome, FormRead), outcome
    assert elapsed < seconds, f"{elapsed:.2f}s"
    return outcome


# --- 1. zip members are checked while inflating, against their real sizes ---------------


def test_a_part_inflating_past_the_size_its_directory_claims_is_unsafe(tmp_path: Path) -> None:
    # 63 MB of blanks after the table of parts (legal XML), claiming 1 kB: the old check
    # trusted the claim and read, parsed and filed all 63 MB.
    source = form(tmp_path, "docx")
    table = content(source, "[Content_Types].xml") + b" " * (63 * MB)

    def lie(members: list[Member]) -> None:
        members[0] = Member.of("[Content_Types].xml", table)
        members[0].size = 1024

    message = refused(
        edited(source, tmp_path / "claims-1kB.docx", lie),
        "unsafe",
        "part [Content_Types].xml inflates to more than the 1024 bytes the zip's directory "
        "claims (a zip bomb).",
        mb=4,  # inflated no more than the claim
    )
    assert "Fill a fresh form from the Blank Forms folder." in message


def test_the_ratio_is_checked_on_the_real_inflated_size(tmp_path: Path) -> None:
    # 5 MB of blanks deflate to 5 kB; 60 kB of padding after the deflate stream makes the
    # directory's ratio look like a picture's (80:1) while the real one is 1000:1.
    source = form(tmp_path, "docx")
    table = content(source, "[Content_Types].xml") + b" " * (5 * MB)

    def pad(members: list[Member]) -> None:
        members[0] = Member.of("[Content_Types].xml", table)
        members[0].data += b"\0" * 60_000

    refused(
        edited(source, tmp_path / "padded.docx", pad),
        "unsafe",
        "part [Content_Types].xml inflates ",
        "-fold to 5 MB (a zip bomb).",
    )


def test_every_part_read_counts_against_one_budget_for_the_file(tmp_path: Path) -> None:
    # Five custom-property parts of 3.5 MB, each under every per-part check, all read.
    source = form(tmp_path, "docx")
    body = b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
    part = body + b" " * (7 * MB // 2) + b"</Properties>"
    ct = b"application/vnd.openxmlformats-officedocument.custom-properties+xml"

    def more(members: list[Member]) -> list[Member]:
        types = content(source, "[Content_Types].xml").replace(
            b"</Types>",
            b"".join(
                b'<Override PartName="/docProps/extra%d.xml" ContentType="%s"/>' % (i, ct)
                for i in range(5)
            )
            + b"</Types>",
        )
        extra = [Member.of(f"docProps/extra{i}.xml", part) for i in range(5)]
        return [Member.of("[Content_Types].xml", types), *members[1:], *extra]

    refused(
        edited(source, tmp_path / "five-parts.docx", more),
        "unsafe",
        f"it inflates to more than {MAX_TOTAL_BYTES // MB} MB of XML in all",
        mb=2 * MAX_TOTAL_BYTES // MB,
    )


def test_the_dtd_probes_count_against_the_budget(tmp_path: Path) -> None:
    # 400 parts whose first 64 kB are a comment: each makes the DTD check inflate 64 kB.
    source = form(tmp_path, "docx")
    probe = b"<!--" + b" " * 70_000 + b"-->\n<r/>"
    extra = [Member.of(f"extra/p{i}.xml", probe) for i in range(400)]
    refused(
        edited(source, tmp_path / "probes.docx", lambda ms: [*ms, *extra]),
        "unsafe",
        "MB of XML in all",
    )


def test_packing_methods_word_and_excel_never_use_are_refused(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")

    def bzip(members: list[Member]) -> None:
        m = member(members, "word/document.xml")
        raw = content(source, m.name)
        m.data, m.method = bz2.compress(raw), 12

    refused(
        edited(source, tmp_path / "bzip2.docx", bzip),
        "corrupt",
        "part word/document.xml is packed in a way Word and Excel never use (method 12).",
    )


# --- 2. overlapping or duplicate entries ---------------------------------------------------


def test_a_better_zip_bomb_of_overlapping_entries_is_unsafe(tmp_path: Path) -> None:
    # David Fifield's construction: 1000 entries share one kernel, each inflating to its
    # 100 kB and every later entry's header (claiming 118 MB in all, under the 256 MB cap).
    path = tmp_path / "overlap.docx"
    path.write_bytes(overlapping_bomb([f"word/p{i}.xml" for i in range(1000)], b" " * 100_000))
    refused(path, "unsafe", "share the same bytes in the file (a zip bomb).", mb=8)


def test_directory_entries_pointing_at_one_local_header_are_unsafe(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")

    def copies(name: str) -> Callable[[list[Member]], list[Member]]:
        def add(members: list[Member]) -> list[Member]:
            at = sum(30 + len(m.name.encode()) + len(m.data) for m in members[:-1])
            last = members[-1]
            extra = [Member(name.format(i), b"", last.method, offset=at) for i in range(3000)]
            for e in extra:
                e.data, e.size, e.crc = last.data, last.size, last.crc
            return [*members, *extra]

        return add

    # the same name thousands of times, all at one member: unsafe, not merely a duplicate
    same = edited(source, tmp_path / "same.docx", copies(members_of(source)[-1].name))
    refused(same, "unsafe", "share the same bytes in the file")
    # other names at that member: its own header names it otherwise
    other = edited(source, tmp_path / "other.docx", copies("word/copy{}.xml"))
    refused(other, "unsafe", "part word/copy0.xml carries another name in its own header")


def test_build_lays_members_out_as_the_test_above_counts_them() -> None:
    # the test above finds a member's header as 30 bytes + name + data per member before it
    data = build([Member.of("a.xml", b"<a/>"), Member.of("bb.xml", b"<b/>")])
    second = 30 + len(b"a.xml") + len(Member.of("a.xml", b"<a/>").data)
    assert data[second : second + 4] == LOCAL


def test_a_local_header_naming_another_part_is_unsafe(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")

    def rename(members: list[Member]) -> None:
        member(members, "word/document.xml").local_name = "word/documenx.xml"

    refused(
        edited(source, tmp_path / "renamed.docx", rename),
        "unsafe",
        "part word/document.xml carries another name in its own header (word/documenx.xml).",
    )


def test_a_huge_directory_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    # 200,000 directory entries: zipfile would build an object for each (600 MB a million).
    path = tmp_path / "directory.xlsx"
    entry = CENTRAL + bytes(24) + b"\x01" + bytes(17) + b"a"  # name length 1
    directory = entry * 200_000
    end = END + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, len(directory), 30, 0)
    path.write_bytes(LOCAL + bytes(26) + directory + end)
    # the file's own 9 MB, read: zipfile's objects would take some 120 MB
    refused(path, "unsafe", "it holds 200000 parts or more, far more than a form has.", mb=32)


def test_parts_that_share_bytes_but_have_different_names_stay_corrupt_if_apart(
    tmp_path: Path,
) -> None:
    # Two members of one name at different places (a buggy writer, the corpus has one):
    # damaged, not an attack.
    source = form(tmp_path, "docx")

    def twice(members: list[Member]) -> list[Member]:
        return [*members, Member.of("word/document.xml", b"<w:document/>")]

    refused(
        edited(source, tmp_path / "twice.docx", twice),
        "corrupt",
        "it holds two different parts named word/document.xml.",
    )


# --- 3. relationships bounded by what a form has -------------------------------------------


def _rels(n: int, target: str, rel_type: str) -> bytes:
    items = "".join(
        f'<Relationship Id="rX{i}" Type="{rel_type}" Target="{target}"/>' for i in range(n)
    )
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{items}</Relationships>"
    ).encode()


HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"


@pytest.mark.parametrize(
    ("fmt", "rels"), [("docx", "_rels/.rels"), ("xlsx", "xl/_rels/workbook.xml.rels")]
)
def test_tens_of_thousands_of_relationships_are_unsafe(tmp_path: Path, fmt: str, rels: str) -> None:
    source = form(tmp_path, fmt)
    extra = _rels(20_000, "https://example.com/", HYPERLINK)[: -len(b"</Relationships>")]

    def many(members: list[Member]) -> None:
        m = member(members, rels)
        original = content(source, rels)
        body = original[original.index(b"<Relationship ") : original.index(b"</Relationships>")]
        members[members.index(m)] = Member.of(rels, extra + body + b"</Relationships>")

    refused(
        edited(source, tmp_path / f"rels.{fmt}", many),
        "unsafe",
        f"part {rels} holds 20",
        f"relationships, far more than a form has (at most {MAX_RELATIONSHIPS}).",
    )


def test_many_relationships_to_one_big_part_read_it_once(tmp_path: Path) -> None:
    # No custom properties: the identity comes from the footer line. 900 footer
    # relationships to one 1 MB footer would read it 900 times (900 MB).
    source = form(tmp_path, "docx")
    footer = content(source, "word/footer1.xml")
    assert b"version 1" in footer
    padded = footer.replace(b"<w:p>", b"<w:p>" + b" " * MB, 1)
    document_rels = content(source, "word/_rels/document.xml.rels")

    def many(members: list[Member]) -> list[Member]:
        kept = [m for m in members if m.name != "docProps/custom.xml"]
        for i, m in enumerate(kept):
            if m.name == "word/footer1.xml":
                kept[i] = Member.of(m.name, padded)
            elif m.name == "word/_rels/document.xml.rels":
                extra = _rels(900, "footer1.xml", FOOTER)
                body = (
                    extra[: -len(b"</Relationships>")]
                    + document_rels[document_rels.index(b"<Relationship ") :]
                )
                kept[i] = Member.of(m.name, body)
        return kept

    result = read_ok(edited(source, tmp_path / "footers.docx", many))
    assert (result.form.id, result.values["customer"]) == ("return_form", "ACME Windows & Doors")


def test_many_sheet_names_for_one_big_sheet_parse_it_once(tmp_path: Path) -> None:
    # Each field's defined name on its own sheet name, all of them one 2 MB sheet part:
    # 13 fields would parse it 13 times (26 MB of XML, past the file's budget).
    source = form(tmp_path, "xlsx")
    workbook = content(source, "xl/workbook.xml").decode()
    sheet = content(source, "xl/worksheets/sheet1.xml")
    r_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    names = re.findall(r"<definedName name=\"CL_[^>]*>'Return'!", workbook)
    for i, name in enumerate(names):
        workbook = workbook.replace(name, name.replace("'Return'", f"'S{i}'"), 1)
    aliases = "".join(
        f'<sheet xmlns:r="{r_ns}" name="S{i}" sheetId="{100 + i}" r:id="rId1"/>'
        for i in range(len(names))
    )
    workbook = workbook.replace("</sheets>", aliases + "</sheets>")

    def alias(members: list[Member]) -> None:
        for i, m in enumerate(members):
            if m.name == "xl/workbook.xml":
                members[i] = Member.of(m.name, workbook.encode())
            elif m.name == "xl/worksheets/sheet1.xml":
                big = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (2 * MB), 1)
                members[i] = Member.of(m.name, big)

    assert len(names) * 2 * MB > MAX_TOTAL_BYTES
    result = read_ok(edited(source, tmp_path / "aliases.xlsx", alias))
    assert result.values["customer"] == "ACME Windows & Doors"
    assert result.rows("returned_items")[0]["item"] == "Glass pane"


# --- 4. ranges bounded by what a form holds --------------------------------------------------


def _workbook_edit(source: Path, out: Path, old: bytes, new: bytes) -> Path:
    workbook = content(source, "xl/workbook.xml")
    assert old in workbook

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "xl/workbook.xml"))
        members[i] = Member.of("xl/workbook.xml", workbook.replace(old, new))

    return edited(source, out, edit)


def test_a_table_name_covering_a_whole_sheet_is_unsafe_and_never_expanded(
    tmp_path: Path,
) -> None:
    # 10 kB of workbook naming 17 billion cells: the old reader listed them until memory ran out.
    source = form(tmp_path, "xlsx")
    path = _workbook_edit(
        source, tmp_path / "sheet.xlsx", b"'Return'!$A$23:$D$27", b"'Return'!$A$1:$XFD$1048576"
    )
    refused(
        path,
        "unsafe",
        "its defined name CL_returned_items covers 'Return'!$A$1:$XFD$1048576 "
        "(1048576 rows by 16384 columns), far more than a form's table holds "
        "(at most 1000 rows by 64 columns).",
        seconds=1,
        mb=4,
    )


def test_a_field_name_covering_a_whole_sheet_reads_its_first_cell_only(tmp_path: Path) -> None:
    source = form(tmp_path, "xlsx")
    path = _workbook_edit(
        source, tmp_path / "field.xlsx", b"'Return'!$B$7<", b"'Return'!$B$7:$XFD$1048576<"
    )
    assert read_ok(path, seconds=1).values["customer"] == "ACME Windows & Doors"


def test_row_numbers_no_sheet_has_are_no_reference(tmp_path: Path) -> None:
    # int() of a 5000-digit row number fails (past 4300 digits); no sheet has such a row.
    source = form(tmp_path, "xlsx")
    huge = b"9" * 5000
    path = _workbook_edit(
        source, tmp_path / "row.xlsx", b"'Return'!$B$7<", b"'Return'!$B$" + huge + b"<"
    )
    result = read_ok(path)
    # the name is no reference, so the field is found by its label
    assert result.values["customer"] == "ACME Windows & Doors"


def test_cells_without_addresses_in_rows_numbered_beyond_any_sheet(tmp_path: Path) -> None:
    source = form(tmp_path, "xlsx")
    sheet = content(source, "xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'(<c[^>]*?) r="[A-Z]+\d+"', rb"\1", sheet)  # cells counted by position
    sheet = re.sub(rb'<row r="7"', b'<row r="' + b"9" * 5000 + b'"', sheet)

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "xl/worksheets/sheet1.xml"))
        members[i] = Member.of("xl/worksheets/sheet1.xml", sheet)

    result = read_ok(edited(source, tmp_path / "positions.xlsx", edit))
    assert result.values["product"] == "W-200 casement"


def test_a_docx_table_of_more_rows_than_a_form_holds_is_unsafe(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")
    document = content(source, "word/document.xml")
    at = document.index(b"Glass pane")
    start = document.rindex(b"<w:tr>", 0, at)
    end = document.index(b"</w:tr>", at) + len(b"</w:tr>")
    document = document[:end] + document[start:end] * 1500 + document[end:]

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "word/document.xml"))
        members[i] = Member.of("word/document.xml", document)

    refused(
        edited(source, tmp_path / "rows.docx", edit),
        "unsafe",
        "its table Returned items runs to row 1501, far more than a form holds (at most 1000).",
    )


def test_thousands_of_placeholder_marks_cost_no_more_than_their_bytes(tmp_path: Path) -> None:
    # One content control marked "showing placeholder" 40,000 times over 40,000 runs of
    # text: the old reader listed the text once per mark (minutes for a 2 MB part).
    source = form(tmp_path, "docx")
    n = 40_000
    control = (
        b"<w:sdt><w:sdtPr>"
        + b"<w:showingPlcHdr/>" * n
        + b"</w:sdtPr><w:sdtContent><w:p>"
        + b"<w:r><w:t>x</w:t></w:r>" * n
        + b"</w:p></w:sdtContent></w:sdt>"
    )
    document = content(source, "word/document.xml").replace(b"<w:body>", b"<w:body>" + control, 1)

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "word/document.xml"))
        members[i] = Member.of("word/document.xml", document)

    result = read_ok(edited(source, tmp_path / "placeholders.docx", edit), seconds=1.5)
    assert result.values["customer"] == "ACME Windows & Doors"


# --- 5. a file is never read past what a form can be ----------------------------------------


def test_a_sparse_multi_gb_file_is_refused_by_its_size_unread(tmp_path: Path) -> None:
    path = tmp_path / "sparse.docx"
    with path.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(3 * 2**30)  # 3 GB, no disk blocks
    refused(path, "unsafe", "the file is 3072 MB, too large for a form.", seconds=0.5, mb=1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "pipe.docx"
    os.mkfifo(path)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_form(path)
        except RefusedFile as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(3)
    assert not reader.is_alive(), "read_form waited on a pipe"
    assert isinstance(outcome[0], RefusedFile)
    assert (outcome[0].kind, outcome[0].reason) == (
        "unsupported_type",
        "it is not a file but a pipe, socket or device.",
    )


def test_a_folder_is_still_a_folder(tmp_path: Path) -> None:
    refused(tmp_path, "unsupported_type", "it is a folder, not a file.")


# --- 6. a template version this closedloop does not know -----------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_form_of_an_unknown_template_version_is_refused(tmp_path: Path, fmt: str) -> None:
    source = form(tmp_path, fmt)
    props = content(source, "docProps/custom.xml")
    newer = re.sub(
        rb'(name="closedloop.version"[^>]*><vt:lpwstr[^>]*>)1(</vt:lpwstr>)', rb"\g<1>999\2", props
    )
    assert newer != props

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "docProps/custom.xml"))
        members[i] = Member.of("docProps/custom.xml", newer)

    message = refused(
        edited(source, tmp_path / f"v999.{fmt}", edit),
        "not_a_form",
        "it was made for template version 999 of the Return Form; this closedloop knows version 1.",
    )
    assert "Only forms from the Blank Forms folder" in message


def test_the_printed_version_line_is_checked_too(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")
    footer = content(source, "word/footer1.xml").replace(b"version 1", b"version 999")

    def edit(members: list[Member]) -> list[Member]:
        kept = [m for m in members if m.name != "docProps/custom.xml"]
        i = kept.index(member(kept, "word/footer1.xml"))
        kept[i] = Member.of("word/footer1.xml", footer)
        return kept

    refused(
        edited(source, tmp_path / "printed.docx", edit),
        "not_a_form",
        "made for template version 999 of the Return Form",
    )


def test_hostile_form_names_and_versions_are_shown_short_and_escaped(tmp_path: Path) -> None:
    source = form(tmp_path, "docx")
    props = content(source, "docProps/custom.xml")
    hostile = b"x\x1b[2J" + b"y" * 10_000
    changed = re.sub(
        rb'(name="closedloop.form"><vt:lpwstr>)return_form',
        rb"\g<1>" + hostile.replace(b"\x1b", b"&#27;"),
        props,
    )
    # XML 1.0 cannot hold ESC; a tab and a line break it can
    changed = changed.replace(b"&#27;", b"&#10;")

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, "docProps/custom.xml"))
        members[i] = Member.of("docProps/custom.xml", changed)

    message = refused(edited(source, tmp_path / "name.docx", edit), "not_a_form", "x\\n[2J")
    assert "\n" not in message and len(message) < 400


# --- 8. an AES-encrypted PDF where `cryptography` is not installed ---------------------------


def test_an_aes_pdf_is_encrypted_even_without_cryptography(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="AES-256")
    path = tmp_path / "aes.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    # A clean install without `cryptography`: its import fails, pypdf falls back.
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["cryptography"] = None
        sys.modules["Crypto"] = None
        from pathlib import Path
        from forms.errors import RefusedFile
        from forms.reader import read_form
        try:
            read_form(Path({str(path)!r}))
        except RefusedFile as exc:
            print(exc.kind, exc.reason)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert done.stderr == ""
    assert done.stdout == "encrypted it is a password-protected PDF.\n"


def test_pypdf_is_declared_with_what_it_needs_for_aes() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.replace(" ", "").startswith("pypdf[crypto]") for d in project["dependencies"])


# --- 7. text values bounded by what a field holds -------------------------------------------


def _customer(source: Path, out: Path, part: str, text: bytes) -> Path:
    data = content(source, part)
    assert b"ACME Windows &amp; Doors" in data

    def edit(members: list[Member]) -> None:
        i = members.index(member(members, part))
        members[i] = Member.of(part, data.replace(b"ACME Windows &amp; Doors", text))

    return edited(source, out, edit)


@pytest.mark.parametrize(
    ("fmt", "part"), [("docx", "word/document.xml"), ("xlsx", "xl/worksheets/sheet1.xml")]
)
def test_an_over_long_value_is_a_problem_naming_field_length_limit_and_fix(
    tmp_path: Path, fmt: str, part: str
) -> None:
    path = _customer(form(tmp_path, fmt), tmp_path / f"long.{fmt}", part, b"A" * 50_000)
    result = read_ok(path)
    assert result.values["customer"] is None
    problem = next(p for p in result.problems if p.field == "customer")
    assert problem.message == (
        "Customer: the text is 50000 characters long, more than the 2000 this field holds; "
        "shorten it"
    )
    assert problem.value == "A" * 2000  # kept cut, not whole


def test_a_9_mb_name_is_refused_by_the_size_of_its_part(tmp_path: Path) -> None:
    name = base64.b64encode(random.Random(11).randbytes(9 * MB * 3 // 4))  # hardly packs
    path = _customer(form(tmp_path, "docx"), tmp_path / "9MB.docx", "word/document.xml", name)
    refused(path, "unsafe", "part word/document.xml is 9 MB of XML, far more than a form holds.")


def test_a_directory_claiming_a_negative_offset_is_corrupt_not_a_crash() -> None:
    """Found by the fuzz test in CI: zipfile computed a header offset below zero for a
    mutated workbook, and bytes were then looked for counting from the file's end."""
    data = (DATA / "fuzz-negative-header-offset.xlsx").read_bytes()
    with pytest.raises(RefusedFile) as refused:
        read_form(Path("registration.xlsx"), data)
    assert refused.value.kind == "corrupt"
    assert "is damaged (its header is missing)" in refused.value.reason
