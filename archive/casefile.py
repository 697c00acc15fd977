"""What a case folder says about itself, so that the archive alone is the record:

- `case.json`: the case, every filing (with every field), every issued form and piece of
  evidence, under a schema version;
- `history.jsonl`: one event a line, each carrying the SHA-256 of the line before it, so
  that a changed, removed or inserted line breaks the chain, and its sequence number in
  the archive-wide chain (filing/chain.py), so that the folders alone give that chain;
- `manifest.sha256`: the SHA-256 of every other file in the folder, in the format of
  `sha256sum`, so that an auditor can check a folder with `sha256sum -c manifest.sha256`.

All three are written from the registry inside the filing's transaction (through the
journal), so they always describe the folder as it is once the filing is in place.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from archive.journal import Plan
from filing.records import Event
from filing.registry import Registry

SCHEMA = 1
CASE_JSON = "case.json"
HISTORY = "history.jsonl"
MANIFEST = "manifest.sha256"
GENESIS = "0" * 64  # the "previous line" of a history's first line


def case_record(registry: Registry, case_id: str) -> dict[str, Any]:
    """Everything the registry holds about a case, as JSON-ready data: each record in its
    own JSON form (filing/records.py)."""
    case = registry.case(case_id)
    if case is None:
        raise KeyError(case_id)
    return {
        "schema": SCHEMA,
        "case": case.to_json(),
        "filings": [f.to_json() for f in registry.filings(case_id)],
        "issued": [i.to_json() for i in registry.issued(case_id)],
        "evidence": [e.to_json() for e in registry.evidence(case_id)],
    }


def history_lines(events: list[tuple[Event, int | None]]) -> list[bytes]:
    """The history as chained JSON lines (without line ends), from the events and their
    sequence numbers in the archive-wide chain (`Registry.chained_history`). The number
    lets the chain be recomputed from the folders alone, in its order; an event recorded
    before the chain has none, and its line is written exactly as it always was."""
    lines: list[bytes] = []
    previous = GENESIS
    for e, seq in events:
        entry = {**e.to_json(), "prev": previous}
        if seq is not None:
            entry["seq"] = seq
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        lines.append(line)
        previous = hashlib.sha256(line).hexdigest()
    return lines


def manifest(hashes: dict[str, str]) -> bytes:
    """`sha256sum` lines, sorted by path (relative to the case folder, with /)."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(hashes.items())).encode("utf-8")


def parse_manifest(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            digest, _, path = line.partition("  ")
            out[path] = digest
    return out


def case_files(registry: Registry, case_id: str) -> dict[str, bytes]:
    """case.json, history.jsonl and manifest.sha256 for the case as the registry has it."""
    record = case_record(registry, case_id)
    case_json = (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode(
        "utf-8"
    )
    history = b"".join(line + b"\n" for line in history_lines(registry.chained_history(case_id)))
    hashes = {f["file"]: f["sha256"] for f in record["filings"]}
    hashes.update({e["file"]: e["sha256"] for e in record["evidence"]})
    hashes.update({i["copy"]: i["sha256"] for i in record["issued"] if i["copy"]})
    if record["case"].get("packet_sha256"):
        hashes[f"{case_id} Closure Packet.pdf"] = record["case"]["packet_sha256"]
    hashes[CASE_JSON] = hashlib.sha256(case_json).hexdigest()
    hashes[HISTORY] = hashlib.sha256(history).hexdigest()
    return {CASE_JSON: case_json, HISTORY: history, MANIFEST: manifest(hashes)}


def stage_case_files(plan: Plan, registry: Registry, case_dir: Path, case_id: str) -> None:
    """Put the case's case.json, history and manifest, as the registry now has them, into
    the plan of the filing in progress."""
    for name, data in case_files(registry, case_id).items():
        plan.write(case_dir / name, data)
