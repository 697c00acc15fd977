"""The fast pre-filled Excel form (a kept blank with the values put in) holds what the
openpyxl writer writes: the same cells with the same values, types and styles, and it
reads back to the same values."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from forms.definition import FORM_IDS, get_form
from forms.identity import Identity
from forms.reader import read_form
from forms.writer import prepare_values
from forms.xlsx_fill import fill_xlsx
from forms.xlsx_writer import write_xlsx
from tests.strategies import form_values


def cells(data: bytes) -> dict[str, Any]:
    wb = load_workbook(io.BytesIO(data))
    out: dict[str, Any] = {"names": {n: d.attr_text for n, d in wb.defined_names.items()}}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                out[f"{ws.title}!{c.coordinate}"] = (
                    c.value,
                    c.data_type,
                    c.number_format,
                    c.quotePrefix,
                    c.protection.locked,
                    c.alignment.wrap_text,
                    c.style,
                )
        out[f"{ws.title}:footer"] = ws.oddFooter.left.text if ws.oddFooter else None
    out["props"] = {p.name: p.value for p in wb.custom_doc_props.props}  # type: ignore[attr-defined]
    out["subject"] = wb.properties.subject
    return out


@pytest.mark.parametrize("form_id", FORM_IDS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), case=st.sampled_from([None, "CC-2026-0042", "CC-2027-10001"]))
def test_a_filled_blank_holds_what_the_writer_writes(
    form_id: str, data: Any, case: str | None
) -> None:
    form = get_form(form_id)
    values = prepare_values(form, data.draw(form_values(form)))
    identity = Identity(form.id, form.version, case)
    slow = io.BytesIO()
    write_xlsx(form, values, identity, "Zhejiang 客户 Ltd. <&>", slow)
    fast = fill_xlsx(form, values, identity, "Zhejiang 客户 Ltd. <&>")
    if fast is None:  # a table longer than the blank's: the writer builds that one
        assert any(
            f.type == "table" and len(values.get(f.id) or []) + 2 > f.rows for f in form.fields
        )
        return
    assert cells(fast) == cells(slow.getvalue())
    from pathlib import Path

    read_fast = read_form(Path("fast.xlsx"), fast)
    read_slow = read_form(Path("slow.xlsx"), slow.getvalue())
    assert (read_fast.values, read_fast.problems, read_fast.case_id) == (
        read_slow.values,
        read_slow.problems,
        read_slow.case_id,
    )
