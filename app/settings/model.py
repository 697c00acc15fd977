"""The settings as one object: each default typed once, here; what a settings file leaves
out is taken from these."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import AppError
from filing.policy import Policy
from forms.writer import DEFAULT_COMPANY
from language import DEFAULT as DEFAULT_LANGUAGE
from language import use
from mail.settings import MailSettings

SETTINGS_FILE = "closedloop.toml"


class SettingsError(AppError):
    """The settings file cannot be used; the message names the file, the key and the fix."""


class UnknownSetting(SettingsError):
    """A key or section no setting reads: a typo, or a setting of another program."""

    def __init__(self, path: Path, key: str, message: str) -> None:
        self.path = path
        self.key = key  # as the message names it: [thresholds] acceptence_days, [threshold]
        super().__init__(message)


@dataclass(frozen=True)
class WatchSettings:
    window: float = 2.0
    poll: float | None = None  # None: native events
    rescan: float = 30.0
    # An office owner file (~$name.docx) neither it nor its document changed for this long
    # is one a crashed Word left: it no longer holds the document back.
    stale_owner_minutes: float = 15.0

    @property
    def stale_owner_seconds(self) -> float:
        return self.stale_owner_minutes * 60.0


@dataclass(frozen=True)
class InboxSettings:
    # Evidence larger than this is refused with a note (a video can be gigabytes).
    max_evidence_mb: int = 200

    @property
    def max_evidence_bytes(self) -> int:
        return self.max_evidence_mb * 2**20


@dataclass(frozen=True)
class ArchiveSettings:
    close_quarters: bool = False  # seal a quarter on the first ingest after it ends
    closure_packets: bool = True  # build a closed case's packet (needs LibreOffice)


@dataclass(frozen=True)
class RegistrySettings:
    """Where the case registry lives: "" is the SQLite file in the folder's .closedloop
    (the default); a postgresql:// URL is one database several sites share, this folder
    being site `site` (a short code: SZ, WX1)."""

    url: str = ""
    site: str = ""

    @property
    def shared(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class Settings:
    company_name: str = DEFAULT_COMPANY
    # What people read is in this language (language.LANGUAGES); a second one, if named,
    # is printed beside it on forms ("客户名称 Customer").
    language: str = DEFAULT_LANGUAGE
    second_language: str | None = None
    # ISO 4217 code of the money amounts on forms and reports (claims, costs).
    currency: str = "CNY"
    policy: Policy = field(default_factory=Policy)
    watch: WatchSettings = field(default_factory=WatchSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    weekly_reports: bool = True  # write last week's report once it is over
    inbox: InboxSettings = field(default_factory=InboxSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)

    def speaking(self) -> AbstractContextManager[str]:
        """Say everything inside in this folder's language, naming its folders as it does."""
        return use(self.language, self.policy.folders.top())

    @property
    def languages(self) -> tuple[str, ...]:
        """The language forms are printed in, and the second beside it if there is one."""
        return (
            (self.language,)
            if self.second_language is None
            else (
                self.language,
                self.second_language,
            )
        )
