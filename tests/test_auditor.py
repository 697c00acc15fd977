"""The auditor's browser, opened from the folder in a real headless Chromium: the index
loads from file://, search and filters narrow the list, a case page opens and its links
resolve to the filed documents."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from lxml import html

from tests.scenario import Folder
from tests.test_quarter import NOT_ESTABLISHED
from tests.test_scenarios import register


@pytest.fixture(scope="session")
def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs it")
        pytest.skip("Chromium is not installed")
    return binary


def open_page(chromium: str, url: str) -> html.HtmlElement:
    """The page as the browser has it once its scripts ran."""
    out = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return html.fromstring(out.stdout)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Folder(tmp_path_factory.mktemp("auditor") / "share")
    register(folder, "2026-11-20T10:00", Customer="ACME Windows", **NOT_ESTABLISHED)
    register(folder, "2026-11-20T10:00", Customer="Beta Glass & Co", **NOT_ESTABLISHED)
    register(folder, "2026-11-21T10:00", Customer="Gamma Doors", **{"Complaint established": "yes"})
    (folder.root / "Inbox" / "CC-2026-0003").mkdir()
    (folder.root / "Inbox" / "CC-2026-0003" / "photo #1.jpg").write_bytes(b"\xff\xd8 dented")
    folder.ingest("2026-11-21T11:00")
    folder.run("close-quarter", str(folder.root), "2026Q4", "--now", "2027-01-05T09:00")
    return folder.root / "Archive"


def rows(page: html.HtmlElement) -> list[str]:
    return [tr.get("data-id") for tr in page.xpath('//tr[@class="case"]')]


def test_the_index_lists_every_case_and_search_and_filters_narrow_it(
    archive: Path, chromium: str
) -> None:
    index = (archive / "index.html").as_uri()
    page = open_page(chromium, index + "?now=2026-12-01T00:00")
    assert rows(page) == ["CC-2026-0003", "CC-2026-0002", "CC-2026-0001"]  # newest first
    assert page.get_element_by_id("count").text == "3 of 3 cases"
    assert rows(open_page(chromium, index + "?q=beta")) == ["CC-2026-0002"]
    assert rows(open_page(chromium, index + "?q=gamma+doors")) == ["CC-2026-0003"]
    assert rows(open_page(chromium, index + "?quarter=2026Q4")) == ["CC-2026-0002", "CC-2026-0001"]
    assert rows(open_page(chromium, index + "?state=awaiting_triage")) == []
    # Late in the year the open case's deadlines have passed: overdue, worked out as you look.
    late = open_page(chromium, index + "?overdue=1&now=2027-06-01T00:00")
    assert rows(late) == ["CC-2026-0003"]


def test_a_case_page_opens_and_its_links_resolve(archive: Path, chromium: str) -> None:
    index_url = (archive / "index.html").as_uri()
    index = open_page(chromium, index_url)
    [link] = [
        a.get("href") for a in index.xpath('//tr[@class="case"]//a') if a.text == "CC-2026-0003"
    ]
    page_url = urljoin(index_url, link)
    page = open_page(chromium, page_url + "?now=2027-06-01T00:00")
    assert page.xpath("//h1")[0].text_content() == "CC-2026-0003 Gamma Doors"
    documents = [urljoin(page_url, a.get("href")) for a in page.xpath('//a[@class="document"]')]
    assert len(documents) >= 3  # the registration, the CAPA issued, the photo
    for url in [*documents, urljoin(page_url, page.get_element_by_id("manifest").get("href"))]:
        assert Path(unquote(urlparse(url).path)).is_file(), url
    assert any(d.endswith("photo%20%231.jpg") for d in documents)
    statuses = [
        td.text for td in page.xpath('//table[@id="deadlines"]//td[contains(@class, "status")]')
    ]
    assert statuses and "overdue" in statuses
    back = urljoin(page_url, page.get_element_by_id("back").get("href"))
    assert Path(unquote(urlparse(back).path)) == archive / "index.html"


def test_a_sealed_case_page_links_into_its_quarter(archive: Path, chromium: str) -> None:
    url = (archive / "Auditor pages" / "CC-2026-0002.html").as_uri()
    page = open_page(chromium, url)
    [original] = [urljoin(url, a.get("href")) for a in page.xpath('//a[@class="document"]')][:1]
    path = Path(unquote(urlparse(original).path))
    assert path.is_file() and "2026Q4 Customer Complaint Closed-Loop" in str(path)
    assert "Beta Glass & Co" in page.xpath("//h1")[0].text_content()


def test_one_changed_case_rewrites_its_page_and_its_data_file_only(
    archive: Path, tmp_path: Path
) -> None:
    root = tmp_path / "share"
    shutil.copytree(archive.parent, root)
    pages = root / "Archive" / "Auditor pages"
    before = {
        p: p.stat().st_mtime_ns for p in [*pages.rglob("*.*"), root / "Archive" / "index.html"]
    }
    time.sleep(0.01)
    (root / "Inbox" / "CC-2026-0003").mkdir(exist_ok=True)
    (root / "Inbox" / "CC-2026-0003" / "scan.pdf").write_bytes(b"%PDF-1.4 a delivery note")
    runner = Folder.__new__(Folder)
    runner.root = root
    assert runner.ingest("2027-01-06T09:00")[0]["outcome"] == "filed"
    changed = {
        p.relative_to(root).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t
    }
    assert changed == {
        "Archive/Auditor pages/CC-2026-0003.html",
        "Archive/Auditor pages/data/CC-2026-00.js",
        "Archive/Auditor pages/data/written.json",  # the event the pages are up to
    }
    assert "scan.pdf" in (pages / "CC-2026-0003.html").read_text(encoding="utf-8")


def test_index_writes_again_what_is_missing_and_leaves_the_rest(
    archive: Path, tmp_path: Path
) -> None:
    """`closedloop index` costs what is missing or behind, not the archive: a page, a data
    file and the index deleted by hand come back; the other pages are not written. With
    --all every page is written anew."""
    root = tmp_path / "share"
    shutil.copytree(archive.parent, root)
    pages = root / "Archive" / "Auditor pages"
    (pages / "CC-2026-0002.html").unlink()
    (pages / "data" / "CC-2026-00.js").unlink()
    (root / "Archive" / "index.html").unlink()
    kept = {p: p.stat().st_mtime_ns for p in pages.glob("*.html")}
    runner = Folder.__new__(Folder)
    runner.root = root
    said = runner.run("index", str(root), "--now", "2027-01-06T09:00")
    assert "Case pages written again: 1;" in said
    assert (pages / "CC-2026-0002.html").is_file() and (root / "Archive" / "index.html").is_file()
    from archive.index_rows import read

    assert set(read(pages / "data" / "CC-2026-00.js") or {}) == {
        "CC-2026-0001",
        "CC-2026-0002",
        "CC-2026-0003",
    }
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    said = runner.run("index", str(root), "--now", "2027-01-06T09:00")
    assert "Case pages written again: 0;" in said
    # A data file put in by hand is removed and never listed; one cut short (a row gone)
    # is made again.
    (pages / "data" / "CC-2099-00.js").write_text('CLOSEDLOOP.add({"rows": []});\n')
    shard = pages / "data" / "CC-2026-00.js"
    shard.write_text(shard.read_text(encoding="ascii")[:-300], encoding="ascii")
    runner.run("index", str(root), "--now", "2027-01-06T09:00")
    assert not (pages / "data" / "CC-2099-00.js").exists()
    assert len(read(shard) or {}) == 3
    assert "CC-2099" not in (root / "Archive" / "index.html").read_text(encoding="utf-8")
    said = runner.run("index", str(root), "--all", "--now", "2027-01-06T09:00")
    assert "and 3 case pages" in said
    assert all(p.stat().st_mtime_ns != t for p, t in kept.items())


def test_the_index_shows_words_and_the_quarter_a_case_is_sealed_in(
    archive: Path, chromium: str
) -> None:
    page = open_page(chromium, (archive / "index.html").as_uri())
    cells = {
        tr.get("data-id"): [td.text_content() for td in tr.xpath("td")]
        for tr in page.xpath('//tr[@class="case"]')
    }
    # category, state, resolution, quarter: in words; the sealed quarter, none for an open case
    assert cells["CC-2026-0001"][3:7] == [
        "Transport damage",
        "Closed",
        "Complaint not established",
        "2026Q4, sealed",
    ]
    assert cells["CC-2026-0003"][4:7] == ["Open: actions under way", "", ""]
    options = [o.text for o in page.xpath('//select[@id="state"]/option')]
    assert options == ["all", "Closed", "Open: actions under way"]


def test_a_start_writes_the_pages_of_what_changed_since_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filing whose page was never written (a stop between them, or another process's
    filing) is caught up at the next start from the registry's chain, without looking at
    every case: the other pages are left as they are."""
    from archive.auditor import AuditorPages

    folder = Folder(tmp_path / "share")
    first = register(folder, Customer="First Customer")
    pages = folder.root / "Archive" / "Auditor pages"
    kept = (pages / f"{first}.html").stat().st_mtime_ns
    real = AuditorPages.cases_changed
    # A run that stops after the filing's commit: no page, and no look after it.
    monkeypatch.setattr(AuditorPages, "cases_changed", lambda self, case_ids, now: None)
    monkeypatch.setattr(AuditorPages, "_write_seen", lambda self, head: None)
    second = register(folder, "2026-11-20T11:00", Customer="Second Customer")
    assert not (pages / f"{second}.html").exists()
    monkeypatch.undo()
    looked: list[str] = []
    monkeypatch.setattr(
        AuditorPages,
        "cases_changed",
        lambda self, case_ids, now: (looked.extend(case_ids), real(self, case_ids, now))[-1],
    )
    assert folder.ingest("2026-11-20T12:00") == []
    assert looked == [second]
    assert "Second Customer" in (pages / f"{second}.html").read_text(encoding="utf-8")
    assert (pages / f"{first}.html").stat().st_mtime_ns == kept
