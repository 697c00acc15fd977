"""Any sequence of forms saved into the Inbox leaves every case in a legal state and every
file in exactly one place: filed in its case folder, or in Quarantine beside its note."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.application import ingest
from app.folder import SharedFolder, init
from app.settings import settings_template
from filing.policy import Policy
from filing.registry import Registry
from forms.definition import get_form
from forms.writer import write_form
from tests.settings import quiet_settings

REG = {
    "complaint_date": "2026-11-20",
    "customer": "ACME",
    "product": "W-200",
    "goods_received_date": "2026-11-02",
    "category": "quality",
    "description": "cracked",
}
DONE_ACTIONS = [{"action": "fix", "owner": "Li", "due": "2026-11-27", "done": "2026-11-26"}]
VALUES: dict[str, list[dict[str, Any]]] = {
    "registration": [
        {**REG, "customer_requirement": "explanation"},
        {**REG, "customer_requirement": "return", "established": "yes"},
        {
            **REG,
            "customer_requirement": "explanation",
            "established": "yes",
            "category": "special_requirement",
        },
        {**REG, "customer_requirement": "repair", "established": "no"},
        {**REG, "customer_requirement": "repair", "goods_received_date": "2026-01-01"},  # late
        {"customer": "incomplete"},  # problems
    ],
    "return_form": [
        {"received_date": "2026-11-25", "hosts": "2", "accessories": "1"},
        {"hosts": "9"},
    ],
    "return_tracking": [{"shipped_back_date": "2026-11-30"}, {"notes": "in repair"}],
    "contract_review": [{"requirement": "RAL 7016", "sets": "12", "decision": "accepted"}],
    "capa": [
        {
            "root_cause": "foam",
            "actions": DONE_ACTIONS,
            "verification": "0%",
            "plan_approved_by": "GM",
            "plan_approved_date": "2026-11-24",
        },
        {"root_cause": "foam", "actions": [{"action": "fix", "owner": "Li", "due": "2026-11-27"}]},
    ],
    "satisfaction_survey": [{"customer_accepts": "yes"}, {"customer_accepts": "no"}],
}
step = st.tuples(
    st.sampled_from(sorted(VALUES)),
    st.integers(0, 5),  # which value set
    st.sampled_from(["none", "bogus", "case0", "case1", "case2"]),  # which case number it carries
    st.sampled_from(["docx", "xlsx"]),
)


def check_case_states(registry: Registry) -> None:
    for case in registry.cases():
        assert case.state in ("awaiting_triage", "open", "awaiting_customer", "closed"), case
        assert (case.state == "closed") == (case.closed_at is not None), case
        assert (case.resolution is None) == (case.state != "closed"), case
        if case.state in ("open", "awaiting_customer"):
            assert case.department and "capa" in case.parts, case
        if case.state == "awaiting_customer":
            assert all(s == "done" for s in case.parts.values()), case
        if case.resolution == "rejected":
            new = registry.case(case.reopened_as or "")
            assert new is not None and new.reopens == case.case_id, case


@pytest.mark.heavy  # 25 sequences of ingests: over 10 s
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.lists(step, min_size=1, max_size=3), min_size=1, max_size=5))
def test_any_sequence_keeps_cases_legal_and_files_in_one_place(
    steps: list[list[tuple[str, int, str, str]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "share"
        init(root, Policy(), "Test Co.", settings_template())
        folder = SharedFolder(root)
        now = datetime(2026, 11, 20, 9, 0)
        n = 0
        for batch in steps:  # several files may wait in the Inbox for one pass
            dropped: dict[str, bytes] = {}
            with Registry(folder.registry) as registry:
                known = [c.case_id for c in registry.cases()]
            for form_id, which, target, fmt in batch:
                values = VALUES[form_id][which % len(VALUES[form_id])]
                case: str | None = None
                if target == "bogus":
                    case = "CC-2026-0999"
                elif target.startswith("case") and known:
                    case = known[int(target[-1]) % len(known)]
                n += 1
                name = f"{n:03d} {form_id}.{fmt}"
                path = write_form(get_form(form_id), fmt, folder.inbox / name, values, case)  # type: ignore[arg-type]
                dropped[name] = path.read_bytes()
            now += timedelta(hours=1)
            results = {r.file: r for r in ingest(root, quiet_settings(), now)}
            assert set(results) == set(dropped)
            assert list(folder.inbox.iterdir()) == []
            archived = {
                hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.archive.rglob("*")
                if p.is_file()
            }
            for name, data in dropped.items():
                quarantined = folder.quarantine / name
                in_archive = hashlib.sha256(data).hexdigest() in archived
                if results[name].outcome == "filed":
                    assert in_archive and not quarantined.exists(), name
                else:
                    assert results[name].outcome == "refused", results[name]
                    # A later file of the pass that files its case's form settles it.
                    if not quarantined.exists():
                        quarantined = folder.settled / name
                    assert quarantined.read_bytes() == data, name
                    note = quarantined.with_name(f"{name} - what to fix.txt")
                    assert note.exists(), name
            with Registry(folder.registry) as registry:
                check_case_states(registry)
