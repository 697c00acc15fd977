"""A case lists its nearest repeats and counts them all (#16): with many complaints about one
product, each new case would otherwise carry every earlier one, and every report and page
that shows it would grow with the archive."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from filing.records import Case
from filing.registry import Registry
from tests.scenario import Folder
from tests.test_scenarios import register

NOW = datetime(2026, 11, 20, 9, 0)


def test_a_repeat_lists_its_ten_nearest_and_says_how_many_more(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    with Registry(folder.root / ".closedloop" / "registry.sqlite") as reg, reg.transaction():
        for i in range(12):  # the same customer and product, a day apart, before NOW
            opened = NOW - timedelta(days=30 - i)
            case = Case(reg.next_case_id(2026), "awaiting_triage", opened, opened)
            case.customer, case.product, case.category = "ACME Windows", "W-200", "x"
            reg.save_case(case)
    case_id = register(folder)
    with Registry(folder.root / ".closedloop" / "registry.sqlite") as reg:
        case = reg.case(case_id)
    assert case is not None
    assert case.repeats == [f"CC-2026-{n:04d}" for n in range(3, 13)]  # the nearest ten
    assert case.repeats_total == 12
    [kept] = (folder.root / "Archive").glob(f"{case_id}*")
    record = json.loads((kept / "case.json").read_text(encoding="utf-8"))["case"]
    assert record["repeats_total"] == 12 and len(record["repeats"]) == 10
    page = (folder.root / "Archive" / "Auditor pages" / f"{case_id}.html").read_text("utf-8")
    assert "CC-2026-0012.html" in page and "CC-2026-0001.html" not in page
    assert "and 2 more" in page
    # A case with few repeats keeps case.json as before the cap: no count.
    other = register(folder, "2026-11-21T10:00", Customer="Globex", **{"Product / model": "Z-9"})
    [kept] = (folder.root / "Archive").glob(f"{other}*")
    assert "repeats_total" not in json.loads((kept / "case.json").read_text("utf-8"))["case"]
