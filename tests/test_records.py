"""The records typed once: each one's JSON form goes to text and back unchanged, and the
registry keeps exactly what it is given (it reads and writes the same JSON form)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filing.records import CASE_FIELDS, Case, Event, Evidence, Filing, Issued, Mail
from filing.registry import Registry
from filing.states import CaseState, Resolution
from tests.strategies import dates, datetimes, text_values

CASE_ID = "CC-2026-0001"
NOW = datetime(2026, 11, 20, 9, 30)
SHA = st.text("0123456789abcdef", min_size=64, max_size=64)
maybe_text = st.none() | text_values
# Times as the loop records them: to the microsecond, as datetime.now() gives them.
times = st.builds(lambda t, us: t.replace(microsecond=us), datetimes, st.integers(0, 999_999))

cases = st.builds(
    Case,
    case_id=st.just(CASE_ID),
    state=st.sampled_from(CaseState),
    opened_at=times,
    received_at=times,
    resolution=st.none() | st.sampled_from(Resolution),
    customer=maybe_text,
    product=maybe_text,
    category=maybe_text,
    department=maybe_text,
    closed_at=st.none() | times,
    triaged_at=st.none() | times,
    containment_needed=st.booleans(),
    confirmed_at=st.none() | times,
    contained_at=st.none() | times,
    actions_done_on=st.none() | dates,
    parts=st.dictionaries(
        st.sampled_from(["return", "review", "capa"]), st.sampled_from(["open", "done"])
    ),
    reopens=st.none(),  # a link to another case: that case must be there too
    reopened_as=st.none(),
    repeats=st.lists(st.from_regex(r"CC-20[0-9]{2}-[0-9]{4}", fullmatch=True), max_size=3),
    packet_sha256=st.none() | SHA,
)
field_values = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | text_values
filings = st.builds(
    Filing,
    case_id=st.just(CASE_ID),
    form=st.sampled_from(["registration", "capa", "return_form"]),
    version=st.integers(1, 99),
    filed_at=times,
    file=text_values,
    sha256=SHA,
    person=maybe_text,
    fields=st.dictionaries(text_values, field_values | st.lists(field_values, max_size=3)),
    source=maybe_text,
)
evidence = st.builds(Evidence, st.just(CASE_ID), text_values, SHA, times, source=maybe_text)
issued = st.builds(
    Issued,
    st.just(CASE_ID),
    text_values,
    text_values,
    text_values,
    times,
    copy=maybe_text,
    sha256=st.none() | SHA,
)
events = st.builds(
    Event,
    st.just(CASE_ID),
    times,
    text_values,
    maybe_text,
    st.none() | SHA,
    maybe_text,
    text_values,
)
mails = st.builds(
    Mail,
    kind=st.sampled_from(["issued", "digest"]),
    key=text_values,
    case_id=st.none() | st.just(CASE_ID),
    to=text_values,
    subject=text_values,
    body=text_values,
    attachment=maybe_text,
    created_at=times,
    next_try_at=times,
    attempts=st.integers(0, 20),
    sent_at=st.none() | times,
    given_up=st.booleans(),
    last_error=maybe_text,
    mail_id=st.none() | st.integers(1, 10**6),
)


def _through_text(data: dict[str, Any]) -> dict[str, Any]:
    """As case.json holds it: JSON text, read back."""
    loaded: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, sort_keys=True))
    return loaded


@settings(max_examples=60, deadline=None)
@given(case=cases, filing=filings, piece=evidence, form=issued, event=events, mail=mails)
def test_each_record_comes_back_from_its_json_unchanged(
    case: Case, filing: Filing, piece: Evidence, form: Issued, event: Event, mail: Mail
) -> None:
    assert Case.from_json(_through_text(case.to_json())) == case
    assert Filing.from_json(_through_text(filing.to_json()), CASE_ID) == filing
    assert Evidence.from_json(_through_text(piece.to_json()), CASE_ID) == piece
    assert Issued.from_json(_through_text(form.to_json()), CASE_ID) == form
    assert Event.from_json(_through_text(event.to_json()), CASE_ID) == event
    assert Mail.from_json(_through_text(mail.to_json())) == mail


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=cases,
    filing=filings,
    piece=evidence,
    form=issued,
    event=events,
)
def test_the_registry_keeps_each_record_as_it_was_given(
    case: Case, filing: Filing, piece: Evidence, form: Issued, event: Event
) -> None:
    with tempfile.TemporaryDirectory() as tmp, Registry(Path(tmp) / "r.sqlite") as registry:
        with registry.transaction():
            registry.save_case(case)
            registry.add_filing(filing)
            registry.add_evidence(piece)
            registry.add_issued(form)
        registry.append_history(event)
        assert registry.case(CASE_ID) == case
        assert registry.filings(CASE_ID) == [filing]
        assert registry.evidence(CASE_ID) == [piece]
        assert registry.issued(CASE_ID) == [form]
        assert registry.history(CASE_ID) == [event]


def test_a_case_json_keeps_the_keys_it_always_had() -> None:
    """case.json's "case" holds the case's fields by their names, states as their words."""
    case = Case(CASE_ID, CaseState.CLOSED, NOW, NOW)
    data = case.to_json()
    # A case of a registry of its own says no site, and one whose repeats are all listed
    # no count of them: its case.json is as before sites and the cap.
    assert set(data) == CASE_FIELDS - {"site", "repeats_total"}
    assert data["state"] == "closed" and type(data["state"]) is str
    shared = Case(CASE_ID, CaseState.CLOSED, NOW, NOW, site="SZ")
    assert shared.to_json()["site"] == "SZ"
    assert Case.from_json(shared.to_json()) == shared


def test_a_case_json_from_before_a_field_was_added_still_loads() -> None:
    data = Case(CASE_ID, "open", NOW, NOW).to_json()
    del data["packet_sha256"]  # case folders written before migration 7
    assert Case.from_json(data).packet_sha256 is None


def test_a_case_json_with_a_field_no_case_has_is_refused() -> None:
    data = {**Case(CASE_ID, "open", NOW, NOW).to_json()}
    data["owner"] = "someone"
    with pytest.raises(ValueError, match="owner"):
        Case.from_json(data)
