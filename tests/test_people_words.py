"""What people read says things in their words (issue #13): the closure packet's cover
starts on page 1 with its title and holds the case in labels, money with the site's
currency, the customer's ratings and comments and the sign-offs; the auditor's pages link
the packet, say when they were last written and which quarter a case belongs to; the
status text shows no ids. One complaint played through the real folder to closure."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from closedloop.cli import cli
from tests.office import LibreOffice
from tests.scenario import CAPA_DONE, Folder
from tests.test_auditor import chromium, open_page  # noqa: F401 (chromium: a fixture)
from tests.test_scenarios import register

pytestmark = pytest.mark.libreoffice
CUSTOMER = "浙江精工玻璃 ACME"
ACTIONS = (
    ["Action", "Owner", "Due", "Done on"],
    [["Thicker buffer foam, 4 h vibration test", "Li Wei", "2026-11-27", "2026-11-25"]],
)
CASE = f"CC-2026-0001 {CUSTOMER}"
PACKET = "CC-2026-0001 Closure Packet.pdf"
# Ids a person must never read: category, departments, states, resolutions, choices.
IDS = (
    "transport_damage",
    "storage_transportation",
    "customer_window",
    "quality_management",
    "awaiting_customer",
    "awaiting_triage",
    "not_established",
    "accepted",
    "very_satisfied",
    "own_controllable",
)
SURVEY = {
    "Customer accepts the result": "Yes",
    "Speed of response": "Very satisfied",
    "Solution": "Satisfied",
    "Communication": "Neutral",
    "Customer comments": "Fast and clear, thank you · 谢谢",
    "Surveyed by": "Mei",
}


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory, libreoffice: LibreOffice) -> Folder:
    folder = Folder(tmp_path_factory.mktemp("words") / "share", packets=True)
    case_id = register(folder, Customer=CUSTOMER, **{"Complaint established": "yes"})
    folder.save(
        folder.outbox("Storage & Transportation", case_id, "capa"),
        {
            **CAPA_DONE,
            "Responsibility": "Own controllable fault",
            "Deductions / liquidated damages": "2400",
            "Prepared by": "Li Wei",
            "Prepared on": "2026-11-26",
        },
        ACTIONS,
    )
    [capa] = folder.ingest("2026-11-26T09:00")
    assert capa["outcome"] == "filed", capa
    folder.save(folder.outbox("Customer Window", case_id, "satisfaction_survey"), SURVEY)
    [survey] = folder.ingest("2026-11-27T10:30")
    assert survey["reason"].endswith(f"closure packet: Archive/{CASE}/{PACKET}"), survey
    return folder


def cover_text(folder: Folder) -> tuple[str, str]:
    """The text of the packet's first page, and of its whole cover."""
    reader = PdfReader(folder.root / "Archive" / CASE / PACKET)
    cover_pages = len(reader.pages) - _form_pages(reader)
    pages = [p.extract_text() for p in reader.pages[:cover_pages]]
    return pages[0], "\n".join(pages)


def _form_pages(reader: PdfReader) -> int:
    """Pages after the cover: from the first form's outline entry on."""
    first_form = reader.outline[1]
    return len(reader.pages) - reader.get_destination_page_number(first_form)  # type: ignore[arg-type]


def test_the_cover_starts_on_page_one_with_its_title_and_case_number(closed: Folder) -> None:
    first, _ = cover_text(closed)
    lines = [line.strip() for line in first.splitlines() if line.strip()]
    # The running header, then the title: no blank page and no lost heading before it.
    assert "CC-2026-0001 Closure Packet" in lines[:3], lines[:5]
    assert CUSTOMER in first  # a Chinese name prints (Noto CJK)
    assert "Case number" in first and "CC-2026-0001" in first


def test_the_cover_shows_words_never_ids(closed: Folder) -> None:
    _, cover = cover_text(closed)
    # The documents are named by their files, which carry the forms' titles, not ids.
    cover = cover.replace("\n", " ")
    for word in IDS:
        assert not re.search(rf"\b{word}\b", cover), word
    for words in (
        "Transport damage",
        "Storage & Transportation",
        "The customer accepts the result",
        "Own controllable fault",
        "established; to Storage & Transportation",  # a history note, its id put in words
    ):
        assert words in cover, words
    assert not re.search(r"\d\d:\d\d:\d\d", cover)  # times to the minute
    assert "2026-11-27 10:30" in cover


def test_the_cover_shows_the_deduction_with_the_currency(closed: Folder) -> None:
    _, cover = cover_text(closed)
    assert "Deductions / liquidated damages" in cover
    assert "CNY 2,400.00" in cover
    assert "2400" not in cover


def test_the_currency_comes_from_the_settings(closed: Folder, tmp_path: Path) -> None:
    copy = tmp_path / "share"
    shutil.copytree(closed.root, copy)
    elsewhere = Folder.__new__(Folder)
    elsewhere.root = copy
    elsewhere.setting('currency = "CNY"', 'currency = "EUR"')
    out = tmp_path / "packet.pdf"
    elsewhere.run("packet", str(copy), "CC-2026-0001", "--out", str(out))
    text = PdfReader(out).pages[0].extract_text() + PdfReader(out).pages[1].extract_text()
    assert "EUR 2,400.00" in text and "CNY" not in text


def test_the_cover_holds_the_customers_ratings_comments_and_the_sign_offs(
    closed: Folder,
) -> None:
    _, cover = cover_text(closed)
    flat = " ".join(cover.split())
    for label, value in SURVEY.items():
        assert label in flat, label
        assert value in flat, value
    assert "Sign-offs" in flat
    for signed in ("Plan approved by GM Zhao 2026-11-24", "Prepared by Li Wei 2026-11-26"):
        assert signed in flat, signed
    assert "Registered by Mei" in flat


def test_the_case_page_links_the_packet_and_every_document(closed: Folder, chromium: str) -> None:  # noqa: F811
    url = (closed.root / "Archive" / "Auditor pages" / "CC-2026-0001.html").as_uri()
    page = open_page(chromium, url)
    packet = Path(
        unquote(urlparse(urljoin(url, page.get_element_by_id("packet").get("href"))).path)
    )
    assert packet == closed.root / "Archive" / CASE / PACKET
    documents = [
        Path(unquote(urlparse(urljoin(url, a.get("href"))).path))
        for a in page.xpath('//a[@class="document"]')
    ]
    assert packet in documents
    assert all(d.is_file() for d in documents)
    assert len(documents) == 3 + 2 + 1  # filed forms, issued forms, the packet
    text = page.text_content()
    assert "The customer accepts the result" in text and "Storage & Transportation" in text
    for word in IDS:
        assert not re.search(rf"\b{word}\b", page.xpath("//body")[0].text_content()), word


def test_the_index_says_when_it_was_last_written_and_which_quarter(
    closed: Folder,
    tmp_path: Path,
    chromium: str,  # noqa: F811
) -> None:
    copy = tmp_path / "share"
    shutil.copytree(closed.root, copy)
    folder = Folder.__new__(Folder)
    folder.root = copy
    index = (copy / "Archive" / "index.html").as_uri()

    def row(page: object, case_id: str) -> list[str]:
        [tr] = page.xpath(f'//tr[@data-id="{case_id}"]')  # type: ignore[attr-defined]
        return [td.text_content() for td in tr.xpath("td")]

    page = open_page(chromium, index)
    assert page.get_element_by_id("written").text == "2026-11-27 10:30"
    # Closed, not sealed: the quarter it closed in, never "open".
    assert row(page, "CC-2026-0001")[3:7] == [
        "Transport damage",
        "Closed",
        "The customer accepts the result",
        "2026Q4",
    ]
    # A later write (a case registered) moves the index's written time, though the index
    # file itself is not written again.
    register(folder, "2026-12-03T14:05", Customer="Gamma Doors")
    page = open_page(chromium, index)
    assert page.get_element_by_id("written").text == "2026-12-03 14:05"
    assert row(page, "CC-2026-0002")[4:7] == ["Awaiting triage", "", ""]
    folder.run("close-quarter", str(copy), "2026Q4", "--now", "2027-01-05T09:00")
    page = open_page(chromium, index + "?quarter=2026Q4")
    assert row(page, "CC-2026-0001")[6] == "2026Q4, sealed"
    assert page.get_element_by_id("written").text == "2027-01-05 09:00"


def test_the_status_text_shows_words_and_the_json_keeps_ids(closed: Folder) -> None:
    text = closed.run("status", str(closed.root), "CC-2026-0001", "--now", "2026-12-01T00:00")
    assert text.splitlines()[0] == "CC-2026-0001  Closed: the customer accepts the result"
    assert "Transport damage · Storage & Transportation" in text
    assert "issued Corrective and Preventive Action Report to Storage & Transportation" in text
    assert "Confirm to the customer  due 2026-11-23 23:59  missed" in text
    for word in IDS:
        assert not re.search(rf"\b{word}\b", text), word
    assert not re.search(r"\d\d:\d\d:\d\d", text)
    data = closed.status("CC-2026-0001", "2026-12-01T00:00")
    assert (data["category"], data["department"], data["resolution"]) == (
        "transport_damage",
        "storage_transportation",
        "accepted",
    )


@pytest.mark.parametrize("typed", ["closed", "Closed", "已结案", "clo", "已结"])
def test_cases_takes_a_state_as_people_write_it(closed: Folder, typed: str) -> None:
    listed = closed.run("cases", str(closed.root), "--state", typed)
    assert listed.startswith("CC-2026-0001  Closed"), listed


def test_cases_names_the_states_when_one_is_unknown_and_says_when_none_match(
    closed: Folder,
) -> None:
    result = CliRunner().invoke(cli, ["cases", str(closed.root), "--state", "处理完毕"])
    assert result.exit_code == 2
    assert "--state 处理完毕: no such state; write one of Awaiting triage (awaiting_triage), " in (
        result.output
    )
    # 处理中 (Open, in Chinese) names one state: no case is in it.
    assert closed.run("cases", str(closed.root), "--state", "处理中") == "No cases match.\n"


@pytest.mark.parametrize("typed", ["cc-2026-1", "CC 2026 0001", "ＣＣ－２０２６－１"])
def test_status_takes_a_case_number_as_people_type_it(closed: Folder, typed: str) -> None:
    text = closed.run("status", str(closed.root), typed, "--now", "2026-12-01T00:00")
    assert text.startswith("CC-2026-0001  Closed"), text
