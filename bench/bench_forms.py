"""Reads and writes per second for each form and format, against the zipfile + lxml floor.

The floor opens the same file with zipfile and parses, with lxml, the parts a reader of
that format cannot avoid: content types, package and main-part relationships, custom
properties, the main part, and for .xlsx the sheet and shared strings. Target: reading
within 2x the floor. Files are pre-filled with realistic values, and measured both as
our writer makes them and after a LibreOffice re-save (what users send back).

    python bench/bench_forms.py [--seconds 1.0] [--no-libreoffice]
"""

from __future__ import annotations

import argparse
import gc
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forms.definition import FORM_IDS, Field, get_form
from forms.reader import read_form
from forms.writer import FORMATS, render_form

FLOOR_PARTS = {
    "docx": (
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/custom.xml",
        "word/_rels/document.xml.rels",
        "word/document.xml",
    ),
    "xlsx": (
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/custom.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "xl/sharedStrings.xml",
    ),
}


def sample(f: Field, i: int = 0) -> Any:
    return {
        "text": f"Sample {f.label} 客户 ±0.02mm",
        "multiline": "First line of the finding.\nSecond line, with detail & numbers 15% → 0.",
        "date": date(2026, 11, 20 + i % 5),
        "datetime": datetime(2026, 11, 20, 9, 30),
        "integer": 7 + i,
        "decimal": Decimal("1250.75"),
        "yesno": True,
        "choice": f.choices[0].id if f.choices else None,
        "multichoice": [c.id for c in f.choices[:2]],
    }.get(f.type)


def values_for(form_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in get_form(form_id).fields:
        if f.type == "table":
            out[f.id] = [{c.id: sample(c, i) for c in f.columns} for i in range(3)]
        else:
            out[f.id] = sample(f)
    return out


def floor(data: bytes, fmt: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        for part in FLOOR_PARTS[fmt]:
            if part in names:
                etree.fromstring(zf.read(part))


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Operations per second: best of several short rounds (what timeit reports), so that
    a pause of the machine does not count against one side of a ratio."""
    fn()  # warm up
    gc.collect()
    gc.disable()  # as timeit does: a collection is charged to whoever happens to trigger it
    try:
        return _best_rate(fn, seconds)
    finally:
        gc.enable()


def _best_rate(fn: Callable[[], object], seconds: float) -> float:
    best = float("inf")
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        n, start = 0, time.process_time()
        while n < 5 or time.process_time() - start < 0.1:
            fn()
            n += 1
        best = min(best, (time.process_time() - start) / n)
    return 1 / best


def read_and_floor(path: Path, data: bytes, fmt: str, seconds: float) -> tuple[float, float]:
    """Reads/s and floor/s from calls timed in strict alternation, medians of each side:
    this machine's speed drifts over seconds, and a drift must hit both sides alike."""
    read_form(path, data)
    floor(data, fmt)
    reads: list[float] = []
    floors: list[float] = []
    clock = time.perf_counter
    gc.collect()
    gc.disable()
    try:
        deadline = clock() + seconds
        while clock() < deadline or len(reads) < 50:
            t0 = clock()
            read_form(path, data)
            t1 = clock()
            floor(data, fmt)
            t2 = clock()
            reads.append(t1 - t0)
            floors.append(t2 - t1)
    finally:
        gc.enable()
    return 1 / statistics.median(reads), 1 / statistics.median(floors)


def libreoffice_resave(files: list[Path], out: Path) -> list[Path] | None:
    binary = shutil.which("soffice")
    if binary is None:
        return None
    profile = Path(tempfile.mkdtemp(prefix="lo-bench-"))
    filters = {".docx": "docx:MS Word 2007 XML", ".xlsx": "xlsx:Calc MS Excel 2007 XML"}
    for suffix, flt in filters.items():
        group = [f for f in files if f.suffix == suffix]
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                flt,
                "--outdir",
                str(out),
                *map(str, group),
            ],
            check=True,
            capture_output=True,
        )
    return [out / f.name for f in files]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--no-libreoffice", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-forms-"))
    files: list[tuple[str, str, Path]] = []
    writes: dict[tuple[str, str], float] = {}
    for form_id in FORM_IDS:  # all writes first: their garbage must not weigh on the reads
        form = get_form(form_id)
        values = values_for(form_id)
        for fmt in FORMATS:
            path = tmp / f"{form_id}.{fmt}"
            path.write_bytes(render_form(form, fmt, values, "CC-2026-0001"))  # type: ignore[arg-type]
            files.append((form_id, fmt, path))
            writes[form_id, fmt] = rate(
                lambda: render_form(form, fmt, values, "CC-2026-0001"),  # type: ignore[arg-type]  # noqa: B023
                args.seconds,
            )
    print(
        f"{'form':<20} {'fmt':<5} {'writes/s':>9} {'reads/s':>9} {'floor/s':>9} {'read/floor':>10}"
    )
    for form_id, fmt, path in files:
        reads, floors = read_and_floor(path, path.read_bytes(), fmt, args.seconds)
        print(
            f"{form_id:<20} {fmt:<5} {writes[form_id, fmt]:>9.1f} {reads:>9.1f} {floors:>9.1f}"
            f" {floors / reads:>9.2f}x"
        )
    if args.no_libreoffice:
        return
    resaved = libreoffice_resave([p for *_, p in files], tmp / "lo")
    if resaved is None:
        print("LibreOffice not installed: re-saved files not measured")
        return
    print("\nafter a LibreOffice re-save")
    print(f"{'form':<20} {'fmt':<5} {'reads/s':>9} {'floor/s':>9} {'read/floor':>10}")
    for (form_id, fmt, _), path in zip(files, resaved, strict=True):
        data = path.read_bytes()
        reads, floors = read_and_floor(path, data, fmt, args.seconds)
        print(f"{form_id:<20} {fmt:<5} {reads:>9.1f} {floors:>9.1f} {floors / reads:>9.2f}x")


if __name__ == "__main__":
    main()
