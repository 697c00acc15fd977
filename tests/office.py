"""Test helpers that act as people and office suites do: re-save in LibreOffice, fill by label."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import openpyxl

FILTERS = {".docx": "docx:MS Word 2007 XML", ".xlsx": "xlsx:Calc MS Excel 2007 XML"}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


class LibreOffice:
    """Re-saves files with the real LibreOffice, many per process start (it is slow to start)."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.binary = binary
        self.profile = profile

    def resave(self, files: list[Path], outdir: Path) -> list[Path]:
        """Open each file in LibreOffice and save it again in its own format into outdir."""
        by_suffix: dict[str, list[Path]] = {}
        for f in files:
            by_suffix.setdefault(f.suffix, []).append(f)
        for suffix, group in by_suffix.items():
            self._convert(FILTERS[suffix], group, outdir)
        out = [outdir / f.name for f in files]
        missing = [p.name for p in out if not p.exists()]
        assert not missing, f"LibreOffice did not write {missing}"
        return out

    def to_pdf(self, files: list[Path], outdir: Path) -> list[Path]:
        """Each file as LibreOffice prints it: a PDF of the same stem in outdir."""
        self._convert("pdf", files, outdir)
        return [outdir / f"{f.stem}.pdf" for f in files]

    def _convert(self, to: str, files: list[Path], outdir: Path) -> None:
        """One LibreOffice start for all of `files` (names unique), converted `to` a filter."""
        assert len({f.name for f in files}) == len(files), "names must be unique"
        outdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                self.binary,
                f"-env:UserInstallation={self.profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            check=True,
            capture_output=True,
            timeout=900,
            env={**os.environ, "HOME": str(self.profile)},
        )


def fill_docx(path: Path, values: dict[str, str], out: Path | None = None) -> Path:
    """Type values into a .docx as a person would: into the cell right of each label."""
    d = docx.Document(str(path))
    todo = dict(values)
    for table in d.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells[:-1]):
                label = cell.text.strip()
                if label in todo:
                    cells[i + 1].text = todo.pop(label)
                    break
    assert not todo, f"labels not found: {sorted(todo)}"
    d.save(str(out or path))
    return out or path


def fill_docx_table(
    path: Path, header: list[str], rows: list[list[str]], out: Path | None = None
) -> Path:
    """Fill the first table whose header row starts with `header`, adding rows when needed."""
    d = docx.Document(str(path))
    for table in d.tables:
        if [c.text.strip() for c in table.rows[0].cells][: len(header)] == header:
            while len(table.rows) - 1 < len(rows):
                table.add_row()
            for tr, values in zip(table.rows[1:], rows, strict=False):
                for cell, value in zip(tr.cells, values, strict=False):
                    cell.text = value
            d.save(str(out or path))
            return out or path
    raise AssertionError(f"no table with header {header}")


def fill_xlsx(path: Path, values: dict[str, Any], out: Path | None = None) -> Path:
    """Type values into an .xlsx as a person would: into the cell right of each label."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    todo = dict(values)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip() in todo:
                target = ws.cell(cell.row, cell.column + 1)
                target.value = todo.pop(cell.value.strip())
                break
    assert not todo, f"labels not found: {sorted(todo)}"
    wb.save(out or path)
    return out or path


def fill_xlsx_table(
    path: Path, header: list[str], rows: list[list[Any]], out: Path | None = None
) -> Path:
    """Fill the rows under the first header row that starts with `header`."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row in ws.iter_rows():
        if [c.value for c in row[: len(header)]] == header:
            for offset, values in enumerate(rows, start=1):
                for col, value in enumerate(values, start=1):
                    ws.cell(row[0].row + offset, col, value)
            wb.save(out or path)
            return out or path
    raise AssertionError(f"no table with header {header}")
