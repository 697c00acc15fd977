"""What became of an Inbox entry, or of an after-effect of a filing: one result each, in
the log, `ingest --json` and the service's `on_result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from language import N_, _


class Outcome(StrEnum):
    FILED = "filed"  # into its case (a form, evidence, or a closure packet)
    REFUSED = "refused"  # to Quarantine beside a note, or said (a quarter that cannot be sealed)
    IGNORED = "ignored"  # left where it is: a lock file, or tried again later
    SEALED = "sealed"  # a quarter's closed cases moved into its folder
    REPORTED = "reported"  # a weekly report written
    MAILED = "mailed"
    UNSENT = "unsent"  # a mail that failed: tried again later, or given up


#: An outcome as people read it (the log, `ingest`'s text); --json keeps the value.
OUTCOME_WORDS: dict[Outcome, str] = {
    Outcome.FILED: N_("filed"),
    Outcome.REFUSED: N_("refused"),
    Outcome.IGNORED: N_("ignored"),
    Outcome.SEALED: N_("sealed"),
    Outcome.REPORTED: N_("reported"),
    Outcome.MAILED: N_("mailed"),
    Outcome.UNSENT: N_("unsent"),
}


def outcome_words(outcome: Outcome) -> str:
    return _(OUTCOME_WORDS[outcome])


@dataclass
class FileResult:
    file: str  # as shown to people: the Inbox name (escaped), a case number, a report's path
    outcome: Outcome
    case_id: str | None = None
    form: str | None = None
    issued: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None
    retry: bool = False  # could not be read now (locked, denied, vanished): try again later
    # Cases this changed (the filing's, and a case a rejection registered again): their
    # derived pages are written anew.
    cases: tuple[str, ...] = ()
    # A file refused before it could be read as a form: the kind of refusal, an id for
    # machines (`encrypted`, `legacy_format`: forms.errors.REFUSAL_KINDS); the reason
    # says it in words.
    refusal: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "file": self.file,
            "outcome": str(self.outcome),
            "case_id": self.case_id,
            "form": self.form,
            "issued": self.issued,
            "reason": self.reason,
        }
        if self.refusal is not None:
            out["refusal"] = self.refusal
        return out
