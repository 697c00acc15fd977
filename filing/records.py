"""The records the registry keeps, typed once: a case, a filing, an issued form, a piece of
evidence, a history event, a mail.

Each has one JSON form, `to_json()` and `from_json()`: dates and times as ISO text, the
keys named as the fields are. It is the shape case.json and history.jsonl hold (so folders
written before still load and verify), and the registry's columns carry the same names.
A filing, an issued form, a piece of evidence and an event sit under their case in
case.json and history.jsonl, so their JSON leaves the case number out and `from_json`
takes it apart. What is shown (`closedloop status --json`, the auditor pages) is a view of
these forms, made where it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from filing.states import CaseState, Resolution


def _iso(value: date | None) -> str | None:
    """A date or time (a datetime is a date) as ISO text; None stays None."""
    return value.isoformat() if value is not None else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _required_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Case:
    case_id: str
    state: CaseState
    opened_at: datetime
    received_at: datetime
    resolution: Resolution | None = None
    customer: str | None = None
    product: str | None = None
    category: str | None = None
    department: str | None = None
    closed_at: datetime | None = None
    triaged_at: datetime | None = None
    containment_needed: bool = False
    confirmed_at: datetime | None = None
    contained_at: datetime | None = None
    actions_done_on: date | None = None
    parts: dict[str, str] = field(default_factory=dict)  # part -> "open" | "done"
    reopens: str | None = None
    reopened_as: str | None = None
    repeats: list[str] = field(default_factory=list)  # the nearest (Policy.repeat_links)
    # Every earlier case it repeats, counted: more than `repeats` when the list was capped
    # (0: as many as listed; then not written to case.json, as before the cap).
    repeats_total: int = 0
    packet_sha256: str | None = None  # the closure packet in the case folder
    # The site (plant) whose shared folder holds the case, on a registry several share;
    # "" on a registry of its own (and then not written to case.json, as before sites).
    site: str = ""

    def __post_init__(self) -> None:
        # A state given as its word (a test, a caller not yet typed) is the enum all the
        # same, and a word that is no state fails here rather than in a later comparison.
        self.state = CaseState(self.state)
        if self.resolution is not None:
            self.resolution = Resolution(self.resolution)

    def to_json(self) -> dict[str, Any]:
        return (
            {
                "case_id": self.case_id,
                "state": str(self.state),
                "opened_at": _iso(self.opened_at),
                "received_at": _iso(self.received_at),
                "resolution": str(self.resolution) if self.resolution is not None else None,
                "customer": self.customer,
                "product": self.product,
                "category": self.category,
                "department": self.department,
                "closed_at": _iso(self.closed_at),
                "triaged_at": _iso(self.triaged_at),
                "containment_needed": self.containment_needed,
                "confirmed_at": _iso(self.confirmed_at),
                "contained_at": _iso(self.contained_at),
                "actions_done_on": _iso(self.actions_done_on),
                "parts": dict(self.parts),
                "reopens": self.reopens,
                "reopened_as": self.reopened_as,
                "repeats": list(self.repeats),
                "packet_sha256": self.packet_sha256,
            }
            | ({"site": self.site} if self.site else {})
            | (
                {"repeats_total": self.repeats_total}
                if self.repeats_total > len(self.repeats)
                else {}
            )
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Case:
        """A key this record does not have is refused (a case.json from elsewhere); a
        key it lacks takes its default (a case.json written before the field was added)."""
        unknown = set(data) - CASE_FIELDS
        if unknown:
            raise ValueError(f"a case has no field {', '.join(sorted(unknown))}")
        resolution = data.get("resolution")
        done_on = data.get("actions_done_on")
        return cls(
            case_id=data["case_id"],
            state=CaseState(data["state"]),
            opened_at=_required_time(data["opened_at"]),
            received_at=_required_time(data["received_at"]),
            resolution=Resolution(resolution) if resolution is not None else None,
            customer=data.get("customer"),
            product=data.get("product"),
            category=data.get("category"),
            department=data.get("department"),
            closed_at=_time(data.get("closed_at")),
            triaged_at=_time(data.get("triaged_at")),
            containment_needed=data.get("containment_needed", False),
            confirmed_at=_time(data.get("confirmed_at")),
            contained_at=_time(data.get("contained_at")),
            actions_done_on=date.fromisoformat(done_on) if done_on is not None else None,
            parts=data.get("parts", {}),
            reopens=data.get("reopens"),
            reopened_as=data.get("reopened_as"),
            repeats=data.get("repeats", []),
            repeats_total=data.get("repeats_total", 0),
            packet_sha256=data.get("packet_sha256"),
            site=data.get("site") or "",
        )


#: The keys of a case's JSON, which are also the columns of the registry's cases table.
CASE_FIELDS = frozenset(f.name for f in fields(Case))


@dataclass(frozen=True)
class Filing:
    case_id: str
    form: str
    version: int
    filed_at: datetime
    file: str
    sha256: str
    person: str | None
    fields: dict[str, Any]
    source: str | None = None  # the file's name in the Inbox

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "version": self.version,
            "filed_at": _iso(self.filed_at),
            "file": self.file,
            "sha256": self.sha256,
            "person": self.person,
            "source": self.source,
            "fields": self.fields,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], case_id: str) -> Filing:
        return cls(
            case_id=case_id,
            form=data["form"],
            version=int(data["version"]),
            filed_at=_required_time(data["filed_at"]),
            file=data["file"],
            sha256=data["sha256"],
            person=data["person"],
            fields=data["fields"],
            source=data["source"],
        )


@dataclass(frozen=True)
class Evidence:
    case_id: str
    file: str  # relative to the case folder: evidence/<name>
    sha256: str
    filed_at: datetime
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "filed_at": _iso(self.filed_at),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], case_id: str) -> Evidence:
        return cls(
            case_id=case_id,
            file=data["file"],
            sha256=data["sha256"],
            filed_at=_required_time(data["filed_at"]),
            source=data["source"],
        )


@dataclass(frozen=True)
class Issued:
    case_id: str
    form: str
    department: str
    file: str  # in the department's outbox
    issued_at: datetime
    copy: str | None = None  # the copy kept in the case folder: issued/<name>
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "department": self.department,
            "file": self.file,
            "issued_at": _iso(self.issued_at),
            "copy": self.copy,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], case_id: str) -> Issued:
        return cls(
            case_id=case_id,
            form=data["form"],
            department=data["department"],
            file=data["file"],
            issued_at=_required_time(data["issued_at"]),
            copy=data["copy"],
            sha256=data["sha256"],
        )


@dataclass(frozen=True)
class Event:
    case_id: str
    at: datetime
    event: str
    form: str | None
    sha256: str | None
    person: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The event as a line of history.jsonl holds it (the line adds its chain links)."""
        return {
            "at": _iso(self.at),
            "event": self.event,
            "form": self.form,
            "sha256": self.sha256,
            "person": self.person,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], case_id: str) -> Event:
        """From a history line: its links to the lines before (prev, seq) are not the
        event's, and are left to the reader of the chain."""
        return cls(
            case_id=case_id,
            at=_required_time(data["at"]),
            event=data["event"],
            form=data["form"],
            sha256=data["sha256"],
            person=data["person"],
            detail=data["detail"],
        )


@dataclass(frozen=True)
class Mail:
    kind: str  # issued | digest
    key: str  # what it is about: a mail is queued once per key
    case_id: str | None
    to: str  # addresses, comma separated
    subject: str
    body: str
    attachment: str | None  # in the case folder: issued/<name>
    created_at: datetime
    next_try_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    given_up: bool = False
    last_error: str | None = None
    mail_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "case_id": self.case_id,
            "to": self.to,
            "subject": self.subject,
            "body": self.body,
            "attachment": self.attachment,
            "created_at": _iso(self.created_at),
            "next_try_at": _iso(self.next_try_at),
            "attempts": self.attempts,
            "sent_at": _iso(self.sent_at),
            "given_up": self.given_up,
            "last_error": self.last_error,
            "mail_id": self.mail_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mail:
        return cls(
            kind=data["kind"],
            key=data["key"],
            case_id=data["case_id"],
            to=data["to"],
            subject=data["subject"],
            body=data["body"],
            attachment=data["attachment"],
            created_at=_required_time(data["created_at"]),
            next_try_at=_required_time(data["next_try_at"]),
            attempts=int(data["attempts"]),
            sent_at=_time(data["sent_at"]),
            given_up=bool(data["given_up"]),
            last_error=data["last_error"],
            mail_id=data["mail_id"],
        )


@dataclass(frozen=True)
class Quarantined:
    """A file refused and moved to Quarantine beside its note, waiting for a person until
    it is settled (the same name filed, or the same case and form)."""

    refused_at: datetime
    source: str  # its name in the Inbox, as shown (escaped when not UTF-8)
    kept: str  # its place in Quarantine, relative to the shared folder
    note: str  # the note beside it, relative to the shared folder
    reasons: tuple[str, ...]
    case_id: str | None = None  # the case and form it was for, when they could be read
    form: str | None = None
    settled_at: datetime | None = None
    settled_by: str | None = None  # what settled it: the file filed
    quarantined_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "refused_at": _iso(self.refused_at),
            "source": self.source,
            "kept": self.kept,
            "note": self.note,
            "reasons": list(self.reasons),
            "case_id": self.case_id,
            "form": self.form,
            "settled_at": _iso(self.settled_at),
            "settled_by": self.settled_by,
            "quarantined_id": self.quarantined_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quarantined:
        return cls(
            refused_at=_required_time(data["refused_at"]),
            source=data["source"],
            kept=data["kept"],
            note=data["note"],
            reasons=tuple(data["reasons"]),
            case_id=data["case_id"],
            form=data["form"],
            settled_at=_time(data["settled_at"]),
            settled_by=data["settled_by"],
            quarantined_id=data["quarantined_id"],
        )
