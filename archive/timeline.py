"""A case's history as people read it on the packet cover and the auditor's case page, in
the language in use.

The history is recorded once, in English, with ids (`filed`, "established; to
storage_transportation"): the chain of hashes is over those words, so they are never
rewritten. They are put in words when shown: an event by the table below, a note clause by
clause (a note is clauses joined by "; ", each one of the few the filing rules write:
filing/rules and filing/engine.py), the ids in it by their names (outbox names from the
settings, the contract review's decision by its label). English shows the note as
filing.words.note_words always has. A clause not in the table (written by an older
closedloop) is shown as recorded, its ids put in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from filing.records import Event
from filing.words import form_title, minute, note_words
from language import N_, _, current

#: The events a history holds (filing/engine.py, app/intake/evidence.py, archive/packet.py).
EVENT_WORDS: dict[str, str] = {
    "filed": N_("filed"),
    "registered": N_("registered"),
    "evidence added": N_("evidence added"),
    "closure packet": N_("closure packet"),
    "joined the shared registry": N_("joined the shared registry"),  # archive/rebuild_site.py
}
_SUPERSEDES = re.compile(r"^filed version (?P<version>\d+) \(supersedes (?P<before>\d+)\)$")

# The clauses of a note, as the filing rules write them; {department} and {case} are ids
# and case numbers in the note, put in words when shown.
_ID = r"(?P<department>[a-z][a-z0-9_]*)"
_CASE = r"(?P<case>[A-Z]+-\d{4}-\d+)"
NOTE_CLAUSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), words)
    for pattern, words in (
        ("registered, awaiting triage", N_("registered, awaiting triage")),
        ("not established", N_("not established")),
        ("established", N_("established")),
        (f"to {_ID}", N_("to {department}")),
        ("customer accepts", N_("customer accepts")),
        ("customer does not accept", N_("customer does not accept")),
        ("every part done, survey to the customer", N_("every part done, survey to the customer")),
        ("CAPA updated", N_("CAPA updated")),
        ("actions done, verified, plan approved", N_("actions done, verified, plan approved")),
        ("return form filed", N_("return form filed")),
        ("goods not yet received", N_("goods not yet received")),
        ("goods received", N_("goods received")),
        (f"repair by {_ID}", N_("repair by {department}")),
        ("return done", N_("return done")),
        ("return tracking updated", N_("return tracking updated")),
        ("contract review updated", N_("contract review updated")),
        (f"samples by {_ID}", N_("samples by {department}")),
        (f"registered again as {_CASE}", N_("registered again as {case}")),
        ("as a case of site (?P<site>[A-Z0-9]+)", N_("as a case of site {site}")),
        (
            f"the customer did not accept the result of {_CASE}",
            N_("the customer did not accept the result of {case}"),
        ),
    )
)
# The contract review's decision, by its id: filing.words says it in words.
_DECISION = re.compile(r"^review decided \([a-z][a-z0-9_]*\)$")


def event_words(event: str) -> str:
    """What happened (`filed`, `filed version 2 (supersedes 1)`) in the language in use."""
    if event in EVENT_WORDS:
        return _(EVENT_WORDS[event])
    found = _SUPERSEDES.match(event)
    if found:
        return _("filed version {version} (supersedes {before})").format(**found.groupdict())
    return event


def note_text(note: str, outboxes: Mapping[str, str]) -> str:
    """A history note in the language in use, its ids in words."""
    if current() == "en":
        return note_words(note, outboxes)
    clauses = [c.strip() for c in note.split(";")]
    return _("; ").join(_clause(c, outboxes) for c in clauses if c)


def _clause(clause: str, outboxes: Mapping[str, str]) -> str:
    if _DECISION.match(clause):
        return note_words(clause, outboxes)
    for pattern, words in NOTE_CLAUSES:
        found = pattern.match(clause)
        if found:
            values = found.groupdict()
            if "department" in values:
                values["department"] = outboxes.get(values["department"], values["department"])
            return _(words).format(**values)
    return note_words(clause, outboxes)


def timeline(history: list[Event], outboxes: Mapping[str, str]) -> list[dict[str, str]]:
    """The rows of a case's timeline: when, what, which form, who, and the note."""
    return [
        {
            "at": minute(e.at),
            "event": event_words(e.event),
            "form": form_title(e.form),
            "who": e.person or "",
            "detail": note_text(e.detail, outboxes),
        }
        for e in history
    ]
