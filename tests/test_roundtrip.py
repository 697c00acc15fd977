"""Every form in both formats, pre-filled with generated values, reads back equal.

Once straight from our writer, and once after LibreOffice opened and saved each file
(the real office client of our users and of CI).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.definition import FORM_IDS, get_form
from forms.reader import read_form
from forms.values import to_json
from forms.writer import FORMATS, render_form, write_form
from tests.office import LibreOffice
from tests.strategies import form_values

COMPANY = "Doberu Technology Co., Ltd. & Partners"


def expected_json(form_id: str, values: dict[str, Any]) -> dict[str, Any]:
    form = get_form(form_id)
    return {f.id: to_json(f, values.get(f.id)) for f in form.fields}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", FORM_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_written_form_reads_back_equal(
    form_id: str, fmt: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    form = get_form(form_id)
    values = data.draw(form_values(form))
    case = data.draw(st.none() | st.integers(1, 99999).map(lambda n: f"CC-2026-{n:04d}"))
    path = tmp_path_factory.mktemp("rt") / f"{form_id}.{fmt}"
    path.write_bytes(render_form(form, fmt, values, case, COMPANY))  # type: ignore[arg-type]
    result = read_form(path)
    assert result.form.id == form_id
    assert result.case_id == case
    assert result.version == form.version
    assert result.to_json()["fields"] == expected_json(form_id, values)
    blocking = [
        p
        for p in result.problems
        if "required" not in p.message and "at least one row" not in p.message
    ]
    assert blocking == []


def _draw_examples(form_id: str, count: int) -> list[dict[str, Any]]:
    """Draw `count` value sets with hypothesis, to write them all before one LibreOffice run."""
    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(form_values(get_form(form_id)))
    def collect(values: dict[str, Any]) -> None:
        drawn.append(values)

    collect()
    return drawn[-count:]


EXAMPLES_PER_FORM = 6


@pytest.mark.libreoffice
@pytest.mark.heavy  # every form drawn and re-saved by LibreOffice: over 10 s
def test_libreoffice_resaved_forms_read_back_equal(
    libreoffice: LibreOffice, tmp_path: Path
) -> None:
    originals: list[tuple[str, dict[str, Any], str, Path]] = []
    for form_id, fmt in itertools.product(FORM_IDS, FORMATS):
        for i, values in enumerate(_draw_examples(form_id, EXAMPLES_PER_FORM)):
            case = f"CC-2026-{i + 1:04d}"
            path = write_form(
                get_form(form_id),
                fmt,
                tmp_path / "in" / f"{form_id}-{i}.{fmt}",  # type: ignore[arg-type]
                values,
                case,
                COMPANY,
            )
            originals.append((form_id, values, case, path))
    resaved = libreoffice.resave([p for *_, p in originals], tmp_path / "out")
    failures: list[str] = []
    for (form_id, values, case, original), path in zip(originals, resaved, strict=True):
        assert path.read_bytes() != original.read_bytes()
        result = read_form(path)
        assert (result.form.id, result.case_id) == (form_id, case), path.name
        got = result.to_json()["fields"]
        want = expected_json(form_id, values)
        diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
        if diff:
            failures.append(f"{path.name}: {diff!r}")
    assert not failures, "\n".join(failures)
