"""The fast pre-filled Word form (a kept blank with the values put in) is the document the
python-docx writer builds, part for part and byte for byte."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.definition import FORM_IDS, get_form
from forms.docx_fill import fill_docx
from forms.docx_writer import write_docx
from forms.identity import Identity
from forms.writer import prepare_values
from tests.strategies import form_values


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("form_id", FORM_IDS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), case=st.sampled_from([None, "CC-2026-0042", "CC-2027-10001"]))
def test_a_filled_blank_equals_the_written_form(form_id: str, data: Any, case: str | None) -> None:
    form = get_form(form_id)
    values = prepare_values(form, data.draw(form_values(form)))
    identity = Identity(form.id, form.version, case)
    slow = io.BytesIO()
    write_docx(form, values, identity, "Zhejiang 客户 Ltd. <&>", slow)
    fast = fill_docx(form, values, identity, "Zhejiang 客户 Ltd. <&>")
    assert parts(fast) == parts(slow.getvalue())
