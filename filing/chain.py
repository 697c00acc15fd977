"""The archive-wide chain: every history event, in the order it was recorded, hashed onto
the head before it, so that one head (64 hex digits) held outside the shared folder
vouches for every event recorded up to it.

    digest_n = SHA-256 of the event's fields and its sequence number n
    head_n   = SHA-256(head_{n-1} + digest_n), head_0 = GENESIS

Each step costs one hash, whatever the size of the archive. The digest is of the event's
fields as the case folder's history.jsonl shows them (the time as ISO text), so the chain
can be recomputed from the case folders alone, without the registry.
"""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64  # the head before the first event


def event_digest(
    seq: int,
    case_id: str,
    at: str,
    event: str,
    form: str | None,
    sha256: str | None,
    person: str | None,
    detail: str,
) -> str:
    """The SHA-256 of one event: a JSON array (one spelling for one event, and no field can
    run into the next), the case and the sequence number included, so that an event moved
    to another case or another place in the chain no longer matches."""
    text = json.dumps(
        [seq, case_id, at, event, form, sha256, person, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def next_head(head: str, digest: str) -> str:
    return hashlib.sha256((head + digest).encode("utf-8")).hexdigest()
