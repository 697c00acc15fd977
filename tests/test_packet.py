"""The closure packet of a case played through the Inbox: cover, every form rendered by
LibreOffice, originals attached, an outline entry per document; failures named."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from app.results import FileResult
from archive.packet import Renderer, build_packet
from closedloop.cli import cli
from filing.policy import Policy
from filing.registry import Registry
from tests.office import LibreOffice, fill_docx
from tests.scenario import REGISTRATION, Folder
from tests.settings import quiet_settings
from tests.test_scenarios import closed_case, register
from tests.test_watch import until
from watcher.service import Watcher

pytestmark = pytest.mark.libreoffice
CUSTOMER = "浙江精工玻璃 ACME"
CASE = f"CC-2026-0001 {CUSTOMER}"


@pytest.fixture(scope="module")
def closed(
    tmp_path_factory: pytest.TempPathFactory, libreoffice: LibreOffice
) -> tuple[Folder, dict]:  # type: ignore[type-arg]
    folder = Folder(tmp_path_factory.mktemp("packet") / "share", packets=True)
    _case_id, result = closed_case(folder, Customer=CUSTOMER)
    return folder, result


def test_closing_a_case_builds_its_packet(closed: tuple[Folder, dict]) -> None:  # type: ignore[type-arg]
    folder, result = closed
    packet = folder.root / "Archive" / CASE / "CC-2026-0001 Closure Packet.pdf"
    assert result["reason"].endswith(
        f"closure packet: Archive/{CASE}/CC-2026-0001 Closure Packet.pdf"
    )
    reader = PdfReader(packet)
    filed = [
        "01 Complaint Registration Form v1.docx",
        "02 Corrective and Preventive Action Report v1.docx",
        "03 Customer Satisfaction Survey Form v1.docx",
    ]
    assert [o.title for o in reader.outline] == ["Case summary, deadlines and timeline", *filed]
    attachments = reader.attachments
    for name in filed:
        assert attachments[name] == [(folder.root / "Archive" / CASE / name).read_bytes()]
    cover = "".join(page.extract_text() for page in reader.pages[:2])
    for words in (
        "CC-2026-0001 Closure Packet",
        CUSTOMER,
        "Resolution",
        "The customer accepts the result",  # the resolution in words, no longer its id
        "Buffer foam too thin",
        "missed",
        "Confirm to the customer",  # the deadline in words
        "Timeline",
    ):
        assert words in cover, words
    assert len(reader.pages) > 4  # the cover, then each form's pages
    assert reader.metadata is not None and reader.metadata.title == "CC-2026-0001 Closure Packet"


def test_the_packet_is_recorded_and_verifies(closed: tuple[Folder, dict]) -> None:  # type: ignore[type-arg]
    folder, _ = closed
    report = json.loads(folder.run("verify", str(folder.root), "--json"))
    assert report["findings"] == []
    record = json.loads((folder.root / "Archive" / CASE / "case.json").read_text(encoding="utf-8"))
    assert record["case"]["packet_sha256"]
    history = (folder.root / "Archive" / CASE / "history.jsonl").read_text(encoding="utf-8")
    assert '"event": "closure packet"' in history


def test_a_form_that_cannot_be_rendered_is_named_in_the_packet(
    closed: tuple[Folder, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    folder, _ = closed
    # A LibreOffice that renders the cover but none of the forms.
    fussy = tmp_path / "fussy-soffice"
    fussy.write_text('#!/bin/sh\ncase "$*" in *.html*) exec soffice "$@";; esac\nexit 1\n')
    fussy.chmod(fussy.stat().st_mode | stat.S_IEXEC)
    with Registry(folder.root / ".closedloop" / "registry.sqlite") as registry:
        pdf = build_packet(
            folder.root / "Archive",
            registry,
            Policy(),
            "CC-2026-0001",
            Renderer(tmp_path / "profile", binary=str(fussy)),
            registry.case("CC-2026-0001").closed_at,  # type: ignore[union-attr,arg-type]
            currency="CNY",
        )
    reader = PdfReader(__import__("io").BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Not rendered" in text
    assert (
        "02 Corrective and Preventive Action Report v1.docx: LibreOffice made no PDF of it. The original is attached."
        in text
    )
    assert [o.title for o in reader.outline] == ["Case summary, deadlines and timeline"]
    assert set(reader.attachments) == {
        "01 Complaint Registration Form v1.docx",
        "02 Corrective and Preventive Action Report v1.docx",
        "03 Customer Satisfaction Survey Form v1.docx",
    }


def test_a_packet_on_demand_for_an_open_case(closed: tuple[Folder, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = closed
    register(folder, "2026-11-27T09:00", Customer="Open Customer")
    out = tmp_path / "open.pdf"
    result = CliRunner().invoke(
        cli, ["packet", str(folder.root), "CC-2026-0002", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [o.title for o in PdfReader(out).outline][:2] == [
        "Case summary, deadlines and timeline",
        "01 Complaint Registration Form v1.docx",
    ]


def test_a_packet_a_stopped_run_did_not_build_is_built_at_the_next_start(
    tmp_path: Path, libreoffice: LibreOffice
) -> None:
    folder = Folder(tmp_path / "share")  # packets off: the case closes without one
    register(
        folder,
        Customer="Stopped Run",
        **{"Complaint established": "No", "Reason for the decision": "Not our glass"},
    )
    case = folder.root / "Archive" / "CC-2026-0001 Stopped Run"
    assert not (case / "CC-2026-0001 Closure Packet.pdf").exists()
    folder.setting("closure_packets = false", "closure_packets = true")
    [built] = folder.ingest("2026-11-21T08:00")
    assert built["case_id"] == "CC-2026-0001"
    assert built["reason"].startswith("closure packet: Archive/CC-2026-0001 Stopped Run/")
    assert (case / "CC-2026-0001 Closure Packet.pdf").is_file()
    assert folder.ingest("2026-11-21T09:00") == []  # once
    assert json.loads(folder.run("verify", str(folder.root), "--json"))["findings"] == []


def test_the_service_renders_packets_beside_the_filing_worker(
    tmp_path: Path, libreoffice: LibreOffice
) -> None:
    folder = Folder(tmp_path / "share")
    results: list[FileResult] = []
    w = Watcher(
        folder.root, quiet_settings(window=0.2, closure_packets=True), on_result=results.append
    )
    w.start()
    try:
        staged = tmp_path / "closing.docx"
        shutil.copyfile(folder.blank("registration"), staged)
        fill_docx(
            staged,
            {**REGISTRATION, "Complaint established": "No", "Reason for the decision": "Not ours"},
        )
        staged.replace(folder.root / "Inbox" / "closing.docx")
        until(lambda: any("closure packet:" in (r.reason or "") for r in results), timeout=120)
    finally:
        w.stop()
    filing, packet = results
    assert filing.file == "closing.docx" and filing.reason.endswith(  # type: ignore[union-attr]
        "its closure packet is being built"
    )
    assert (packet.case_id, packet.outcome) == ("CC-2026-0001", "filed")
    assert (
        folder.root / "Archive" / "CC-2026-0001 ACME Windows" / "CC-2026-0001 Closure Packet.pdf"
    ).is_file()


def test_a_sealed_case_packet_must_go_elsewhere(
    closed: tuple[Folder, dict],
    tmp_path: Path,  # type: ignore[type-arg]
) -> None:
    copy = tmp_path / "share"
    shutil.copytree(closed[0].root, copy)
    runner = CliRunner()
    sealed = runner.invoke(cli, ["close-quarter", str(copy), "2026Q4", "--now", "2027-01-05T09:00"])
    assert sealed.exit_code == 0, sealed.output
    result = runner.invoke(cli, ["packet", str(copy), "CC-2026-0001"])
    assert result.exit_code == 2
    assert (
        "CC-2026-0001 is sealed in 2026Q4 Customer Complaint Closed-Loop; its folder is "
        "read-only. Write the packet elsewhere with --out"
    ) in result.stderr


def _linked_picture(
    blank: Path, out: Path, target: str, typed: str = "image", mode: str = "External"
) -> None:
    """A filled registration showing a picture Word would insert with 'Link to file': the
    picture's relationship points outside the document, and the drawing uses r:link (the
    relationship `typed` as an image, or as a hyperlink; its mode in any case)."""
    import re
    import zipfile

    import docx
    from docx.shared import Inches

    shutil.copyfile(blank, out)
    fill_docx(out, REGISTRATION)
    document = docx.Document(str(out))
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
        b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    picture = out.with_suffix(".png")
    picture.write_bytes(png)
    document.add_picture(str(picture), width=Inches(2))
    document.save(str(out))
    with zipfile.ZipFile(out) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    rels = parts["word/_rels/document.xml.rels"].decode()
    found = re.search(r'<Relationship Id="(rId\d+)" Type="([^"]+/image)" Target="([^"]+)"/>', rels)
    assert found is not None
    rid, kind, media = found.groups()
    kind = kind.rsplit("/", 1)[0] + "/" + typed
    linked = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}" TargetMode="{mode}"/>'
    parts["word/_rels/document.xml.rels"] = rels.replace(found[0], linked).encode()
    body = parts["word/document.xml"].decode().replace(f'r:embed="{rid}"', f'r:link="{rid}"')
    parts["word/document.xml"] = body.encode()
    del parts[f"word/{media}"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


@pytest.mark.parametrize(
    ("typed", "mode"), [("image", "External"), ("hyperlink", "External"), ("image", "external")]
)
def test_rendering_a_document_fetches_nothing_it_links_to(
    tmp_path: Path, typed: str, mode: str
) -> None:
    """A document filed before the intake refused linked pictures (or put in a case folder
    by hand): LibreOffice fetches a linked picture from any address; the copy it renders
    for the packet has the link cut, and the request never comes."""
    import http.server
    import threading

    from archive.unlinked import cut_links_out

    asked: list[str] = []

    class Beacon(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_OPTIONS = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        folder = Folder(tmp_path / "share")
        linked = tmp_path / "linked.docx"
        url = f"http://127.0.0.1:{server.server_address[1]}/beacon.png"
        _linked_picture(folder.blank("registration"), linked, url, typed, mode)
        renderer = Renderer(tmp_path / "profile", use_office=False)
        # The premise: the document as it is makes LibreOffice ask for the picture.
        renderer.to_pdf([linked], tmp_path / "as-is")
        assert asked, "LibreOffice did not fetch the linked picture: the test shows nothing"
        asked.clear()
        cut = tmp_path / "in" / "linked.docx"
        cut.parent.mkdir()
        cut.write_bytes(cut_links_out(linked.read_bytes()))
        made = renderer.to_pdf([cut], tmp_path / "cut")
        assert isinstance(made[cut], Path) and made[cut].is_file()  # rendered all the same
        assert asked == []
    finally:
        server.shutdown()
        server.server_close()
