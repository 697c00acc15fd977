"""The after-effects of filing, as one ordered list of jobs with one contract (like
paperless-ngx's consume plugins): auditor pages, the closure packet, the quarter seal,
the weekly report, mail.

A job is told what happened (a Trigger) and answers with the work it wants done
(`todo`, cheap, on the thread that owns the registry); the work is done (`do`), and its
outcome recorded and said (`done`, again on the registry's thread). `ingest` runs every
job in line. `watch` runs a job marked `slow` on a thread of its own, with a registry
connection of its own, so LibreOffice or a mail server never holds up filing; that is the
only difference between them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from app.results import FileResult, Outcome

if TYPE_CHECKING:
    from app.application import App


class When(StrEnum):
    START = "start"  # a run begins: catch up with what a stopped run left
    FILED = "filed"  # an Inbox entry was filed
    CHANGED = "changed"  # an after-effect changed cases (a packet filed, a quarter sealed)
    LOOK = "look"  # a periodic look: the end of a one-shot pass, the service's rescan


@dataclass(frozen=True)
class Trigger:
    when: When
    now: datetime
    filed: FileResult | None = None  # FILED: the filing
    cases: tuple[str, ...] = ()  # FILED, CHANGED: the cases changed


@dataclass
class Done:
    """What a piece of work came to. `note` is said on the filing that caused it when the
    work ran in line with it, and otherwise as a result of its own (outcome, case_id);
    `results` are said as they are; `changed` cases get their derived pages anew."""

    note: str | None = None
    outcome: Outcome = Outcome.FILED
    case_id: str | None = None
    results: list[FileResult] = field(default_factory=list)
    changed: tuple[str, ...] = ()

    def alone(self) -> list[FileResult]:
        """The results to say when no filing carries the note."""
        head = (
            []
            if self.note is None
            else [FileResult(self.case_id or "", self.outcome, self.case_id, reason=self.note)]
        )
        return head + self.results


W = TypeVar("W", bound=Hashable)  # a piece of work: hashable, so the service queues it once
M = TypeVar("M")  # what doing it made


class Job(ABC, Generic[W, M]):
    #: Done on a thread of its own by `watch` (seconds of LibreOffice, a mail server's wait).
    slow: ClassVar[bool] = False
    #: What the filing's result says while `watch` does the job's work on its thread
    #: (marked with N_, said with _ in the language in use).
    later: ClassVar[str | None] = None
    #: Looked at this often (seconds) by `watch`, and after every filing; None: at each
    #: rescan of the Inbox.
    every: float | None = None

    @abstractmethod
    def todo(self, app: App, trigger: Trigger) -> Sequence[W]:
        """The work this trigger calls for (cheap: no rendering, no sending)."""

    @abstractmethod
    def do(self, app: App, work: W, now: datetime) -> M:
        """Do the work. For a slow job under `watch`, `app` is the job thread's own."""

    @abstractmethod
    def done(self, app: App, work: W, made: M | Exception, now: datetime) -> Done:
        """Record and say what `do` made, or the exception it raised."""


AnyJob = Job[Any, Any]
