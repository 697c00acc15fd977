"""The shared folder as office staff see it, and `closedloop init` that lays it out."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from app.errors import NotASharedFolder
from filing.policy import Policy
from forms.atomicfile import atomic_write_bytes
from forms.container import is_lock_file
from forms.definition import all_forms
from forms.writer import FORMATS, render_form

SETTINGS_FILE = "closedloop.toml"
# Files office suites, file managers and copy tools leave behind: never forms, never ours.
JUNK_PATTERNS = ("~WRL*.tmp", "*.tmp", "*.filepart", "Thumbs.db", "desktop.ini", ".DS_Store", "._*")


def is_junk(name: str) -> bool:
    """Lock files and temporary files of office suites and file managers."""
    return is_lock_file(Path(name)) or any(
        fnmatch.fnmatch(name.lower(), p.lower()) for p in JUNK_PATTERNS
    )


@dataclass(frozen=True)
class SharedFolder:
    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "Inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "Outbox"

    @property
    def archive(self) -> Path:
        return self.root / "Archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "Quarantine"

    @property
    def reports(self) -> Path:
        return self.root / "Reports"

    @property
    def blank_forms(self) -> Path:
        return self.root / "Blank Forms"

    @property
    def state(self) -> Path:
        return self.root / ".closedloop"

    @property
    def registry(self) -> Path:
        return self.state / "registry.sqlite"

    def is_laid_out(self) -> bool:
        return self.inbox.is_dir() and self.state.is_dir()

    @classmethod
    def laid_out(cls, root: Path) -> SharedFolder:
        """The shared folder at `root`; NotASharedFolder when it is not laid out (nothing
        is created: `closedloop init` lays one out)."""
        folder = cls(root)
        if not folder.is_laid_out():
            raise NotASharedFolder(root)
        return folder


def init(root: Path, policy: Policy, company: str, settings_text: str) -> list[Path]:
    """Lay out the shared folder; create only what is missing, never overwrite a site's
    files. Returns what was created."""
    folder = SharedFolder(root)
    created: list[Path] = []
    folders = [
        folder.inbox,
        folder.archive,
        folder.quarantine,
        folder.reports,
        folder.blank_forms,
        folder.state,
        folder.outbox,
    ]
    folders += [folder.outbox / name for name in policy.outboxes.values()]
    for path in folders:
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            created.append(path)
    settings = root / SETTINGS_FILE
    if not settings.exists():
        atomic_write_bytes(settings, settings_text.encode("utf-8"))
        created.append(settings)
    for form in all_forms().values():
        for fmt in FORMATS:
            blank = folder.blank_forms / f"{form.title}.{fmt}"
            if not blank.exists():
                atomic_write_bytes(blank, render_form(form, fmt, company=company))
                created.append(blank)
    return created
