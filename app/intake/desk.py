"""What filing one Inbox entry needs: the folder, the registry, the engine, the company for
the forms it issues, what a file may cost, and what to do inside the filing's transaction
for each form it issues (queue its e-mail)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.folder import SharedFolder
from app.intake.quarantine import Notify
from filing.engine import Engine, IssuedForm
from filing.registry import Registry
from forms.reader import FormRead, read_form

#: Called inside a filing's transaction for each form it issues, with the issued copy's
#: place in the case folder and the filing's time.
OnIssued = Callable[[IssuedForm, str, datetime], None]


@dataclass(frozen=True)
class Limits:
    """What one Inbox file may cost: the largest evidence file kept, and how forms are
    read: in a process the OS holds to a memory and time budget (forms/isolated.py),
    which the application starts at its first form and reuses, or by `reader` when one
    is given."""

    evidence_bytes: int = 200 * 2**20
    isolated: bool = True
    reader: Callable[[Path, bytes], FormRead] | None = None

    def read(self, path: Path, data: bytes) -> FormRead:
        return (self.reader or read_form)(path, data)


@dataclass(frozen=True)
class Desk:
    folder: SharedFolder
    registry: Registry
    engine: Engine
    company: str
    limits: Limits
    on_issued: OnIssued | None = None
    on_quarantined: Notify | None = None
    # What issued forms are printed in: the folder's language, and a second beside it.
    languages: tuple[str, ...] = ("en",)
