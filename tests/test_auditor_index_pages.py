"""The auditor's index at more cases than a screen holds, in a real headless Chromium: a
page of rows at a time, newest first, a search and the filters over every case (not only
the page shown), and a page number in the address kept within the list."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from archive.casefolder import case_folder
from filing.records import Case, Event
from filing.registry import Registry
from tests.scenario import Folder
from tests.test_auditor import chromium, open_page, rows

__all__ = ["chromium"]  # the fixture, used by the tests below

CASES = 230


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 230 cases made straight in its registry (as bench/bench_scale.py makes
    them: filing 230 forms would take minutes), its pages written by `closedloop index`."""
    folder = Folder(tmp_path_factory.mktemp("paging") / "share")
    archive = folder.root / "Archive"
    start = datetime(2026, 10, 1, 9, 0)
    registry = Registry(folder.root / ".closedloop" / "registry.sqlite")
    with registry, registry.transaction():
        for i in range(CASES):
            opened = start + timedelta(hours=i)
            case = Case(registry.next_case_id(2026), "awaiting_triage", opened, opened)
            names = {7: "Zeta Glass", 8: "__proto__"}  # a name, not a property of a map
            case.customer = names.get(i, f"Customer {i % 20}")
            case.product = f"W-{200 + i % 3}"
            case.category = "transport_damage"
            registry.save_case(case)
            registry.append_history(
                Event(case.case_id, opened, "registered", "registration", None, None, "")
            )
            case_folder(archive, case.case_id, case.customer, new=True).mkdir()
    folder.run("index", str(folder.root), "--now", "2026-11-01T09:00")
    return archive


def test_the_index_shows_a_page_of_the_newest_cases_and_counts_them_all(
    archive: Path, chromium: str
) -> None:
    index = (archive / "index.html").as_uri()
    page = open_page(chromium, index + "?now=2026-11-02T00:00")
    shown = rows(page)
    assert len(shown) == 50
    assert shown[0] == f"CC-2026-{CASES:04d}" and shown[-1] == f"CC-2026-{CASES - 49:04d}"
    assert page.get_element_by_id("count").text == f"{CASES} of {CASES} cases"
    assert page.get_element_by_id("range").text == "1–50"
    assert page.get_element_by_id("previous").get("disabled") is not None
    assert page.get_element_by_id("next").get("disabled") is None
    # The last page: what is left; a page past the end shows the last one.
    for number in ("5", "9"):
        last = open_page(chromium, index + f"?page={number}")
        assert rows(last) == [f"CC-2026-{n:04d}" for n in range(30, 0, -1)]
        assert last.get_element_by_id("range").text == "201–230"
        assert last.get_element_by_id("next").get("disabled") is not None


def test_a_search_and_the_filters_look_at_every_case_not_only_the_page(
    archive: Path, chromium: str
) -> None:
    index = (archive / "index.html").as_uri()
    # The one match is among the oldest cases, far below the first page.
    page = open_page(chromium, index + "?q=zeta")
    assert rows(page) == ["CC-2026-0008"]
    assert page.get_element_by_id("count").text == f"1 of {CASES} cases"
    assert rows(open_page(chromium, index + "?product=W-201&q=zeta")) == ["CC-2026-0008"]
    assert rows(open_page(chromium, index + "?product=W-200&q=zeta")) == []
    page = open_page(chromium, index + "?product=W-201")
    expected = [f"CC-2026-{i + 1:04d}" for i in reversed(range(CASES)) if i % 3 == 1]
    assert rows(page) == expected[:50] and len(expected) == 77
    assert page.get_element_by_id("count").text == f"77 of {CASES} cases"
    # Every deadline of a case left untouched since October is past in December.
    late = open_page(chromium, index + "?overdue=1&now=2026-12-15T00:00&page=3")
    assert len(rows(late)) == 50
    options = [o.text for o in page.xpath('//select[@id="customer"]/option')]
    assert len(options) == 1 + 22 and {"Zeta Glass", "__proto__"} <= set(options)
    nothing = open_page(chromium, index + "?q=no+such+words&now=not+a+time")
    assert rows(nothing) == []
    assert nothing.xpath('//tr[@class="none"]')[0].text_content() == (
        "No case matches the search and filters."
    )
