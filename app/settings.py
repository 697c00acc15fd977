"""Settings: resolved once from ROOT/closedloop.toml into one object, passed down explicitly.

Every mistake names the file, the key, what is wrong and what to write instead.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

from app.errors import AppError
from filing.policy import (
    DEFAULT_OUTBOXES,
    DEFAULT_ROUTES,
    CalendarPolicy,
    DeadlinePolicy,
    Policy,
)
from forms.writer import DEFAULT_COMPANY
from mail.settings import SECURITY, MailSettings

SETTINGS_FILE = "closedloop.toml"
CLOCK_VARIABLE = "CLOSEDLOOP_NOW"


class SettingsError(AppError):
    """The settings file cannot be used; the message names the file, the key and the fix."""


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
class Settings:
    company_name: str = DEFAULT_COMPANY
    # ISO 4217 code of the money amounts on forms and reports (claims, costs).
    currency: str = "CNY"
    policy: Policy = field(default_factory=Policy)
    watch: WatchSettings = field(default_factory=WatchSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    weekly_reports: bool = True  # write last week's report once it is over
    inbox: InboxSettings = field(default_factory=InboxSettings)


# The defaults, typed once in the dataclasses: what a settings file leaves out.
_SETTINGS = Settings()
_POLICY = _SETTINGS.policy
_DEADLINES = _POLICY.deadlines
_WATCH = _SETTINGS.watch
_ARCHIVE = _SETTINGS.archive
_INBOX = _SETTINGS.inbox
_MAIL = _SETTINGS.mail


def settings_template() -> str:
    """The commented settings file `closedloop init` writes."""
    return resources.files("templates").joinpath(SETTINGS_FILE).read_text(encoding="utf-8")


def load_settings(root: Path | None) -> Settings:
    """Settings of the shared folder `root`; defaults when there is no settings file."""
    if root is None or not (root / SETTINGS_FILE).exists():
        return Settings()
    path = root / SETTINGS_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    return _Reader(path, raw).settings()


class _Reader:
    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    def fail(self, key: str, problem: str, example: str) -> SettingsError:
        return SettingsError(f"{self.path}: {key} {problem}; write it like {example}")

    def table(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", "must be a section", f"[{name}]")
        return value

    def integer(self, section: str, key: str, default: int) -> int:
        value = self.table(section).get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(
                f"[{section}] {key}", f"is {value!r}, not a whole number", f"{key} = {default}"
            )
        return value

    def text_map(self, section: str, default: Any, known: set[str] | None = None) -> dict[str, str]:
        out = dict(default)
        for key, value in self.table(section).items():
            if not isinstance(value, str) or not value.strip():
                raise self.fail(
                    f"[{section}] {key}", f"is {value!r}, not a name", f'{key} = "Name"'
                )
            if known is not None and value not in known:
                raise self.fail(
                    f"[{section}] {key}",
                    f"names a department '{value}' that [departments] does not have",
                    f'{key} = "quality_management"',
                )
            out[key] = value.strip()
        return out

    def dates(self, key: str) -> frozenset[date]:
        values = self.table("calendar").get(key, [])
        out = set()
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, date) and not isinstance(v, datetime):
                out.add(v)
            elif isinstance(v, str):
                try:
                    out.add(date.fromisoformat(v))
                except ValueError:
                    raise self.fail(
                        f"[calendar] {key}", f"holds {v!r}, not a date", f"{key} = [2026-12-24]"
                    ) from None
            else:
                raise self.fail(
                    f"[calendar] {key}", f"holds {v!r}, not a date", f"{key} = [2026-12-24]"
                )
        return frozenset(out)

    def settings(self) -> Settings:
        company = self.table("company").get("name", DEFAULT_COMPANY)
        if not isinstance(company, str) or not company.strip():
            raise self.fail("[company] name", "must be text", 'name = "Acme Ltd."')
        outboxes = self.text_map("departments", DEFAULT_OUTBOXES)
        for name in outboxes.values():
            if any(c in name for c in '/\\:*?"<>|') or name.strip(". ") != name:
                raise self.fail(
                    "[departments]",
                    f"folder name {name!r} has a character folders cannot hold",
                    'quality_management = "Quality Management"',
                )
        routes = self.text_map("routing", DEFAULT_ROUTES, known=set(outboxes))
        calendar = self.table("calendar")
        country = calendar.get("country", _POLICY.calendar.country or "")
        subdivision = calendar.get("subdivision", "")
        policy = Policy(
            acceptance_days=self.integer("thresholds", "acceptance_days", _POLICY.acceptance_days),
            few_hosts=self.integer("thresholds", "few_hosts", _POLICY.few_hosts),
            few_accessories=self.integer("thresholds", "few_accessories", _POLICY.few_accessories),
            sample_sets=self.integer("thresholds", "sample_sets", _POLICY.sample_sets),
            repeat_window_days=self.integer(
                "thresholds", "repeat_window_days", _POLICY.repeat_window_days
            ),
            routes=routes,
            outboxes=outboxes,
            calendar=CalendarPolicy(
                country=country.strip().upper() or None if isinstance(country, str) else None,
                subdivision=subdivision.strip() or None if isinstance(subdivision, str) else None,
                extra_holidays=self.dates("extra_holidays"),
                extra_workdays=self.dates("extra_workdays"),
            ),
            deadlines=DeadlinePolicy(
                confirm_working_days=self.integer(
                    "deadlines", "confirm_working_days", _DEADLINES.confirm_working_days
                ),
                containment_hours=self.integer(
                    "deadlines", "containment_hours", _DEADLINES.containment_hours
                ),
                actions_working_days=self.integer(
                    "deadlines", "actions_working_days", _DEADLINES.actions_working_days
                ),
                close_days=self.integer("deadlines", "close_days", _DEADLINES.close_days),
            ),
        )
        return Settings(
            company_name=company.strip(),
            currency=self.currency(),
            policy=policy,
            watch=self.watch(),
            archive=self.archive(),
            mail=self.mail(outboxes),
            weekly_reports=self.flag("reports", "weekly", _SETTINGS.weekly_reports),
            inbox=self.inbox(),
        )

    def currency(self) -> str:
        value = self.table("company").get("currency", _SETTINGS.currency)
        code = value.strip().upper() if isinstance(value, str) else ""
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise self.fail(
                "[company] currency",
                f"is {value!r}, not a three-letter currency code (ISO 4217)",
                f'currency = "{_SETTINGS.currency}"',
            )
        return code

    def text(self, section: str, key: str, default: str) -> str:
        value = self.table(section).get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"[{section}] {key}", f"is {value!r}, not text", f'{key} = "{default}"')
        return value.strip()

    def addresses(self, key: str, value: Any) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(
            isinstance(v, str) and "@" in v.strip(" @") for v in values
        ):
            raise self.fail(key, f"is {value!r}, not e-mail addresses", '["quality@example.com"]')
        return tuple(v.strip() for v in values)

    def mail(self, outboxes: dict[str, str]) -> MailSettings:
        section = self.table("mail")
        security = self.text("mail", "security", _MAIL.security).lower()
        if security not in SECURITY:
            raise self.fail(
                "[mail] security",
                f"is {security!r}, not one of {SECURITY}",
                'security = "starttls"',
            )
        password = self.text("mail", "password", "")
        variable = self.text("mail", "password_env", "")
        if variable:
            password = os.environ.get(variable, "")
        departments = section.get("departments", {})
        if not isinstance(departments, dict):
            raise self.fail("[mail.departments]", "must be a section", "[mail.departments]")
        by_name = {name.casefold(): dept for dept, name in outboxes.items()}
        addresses: dict[str, tuple[str, ...]] = {}
        for key, value in departments.items():
            dept = key if key in outboxes else by_name.get(key.casefold())
            if dept is None:
                raise self.fail(
                    f"[mail.departments] {key}",
                    "is not a department of [departments]",
                    '"Quality Management" = "quality@example.com"',
                )
            addresses[dept] = self.addresses(f"[mail.departments] {key}", value)
        digest_at = section.get("digest_at", _MAIL.digest_at.isoformat("minutes"))
        if isinstance(digest_at, str):
            try:
                digest_at = time.fromisoformat(digest_at.strip())
            except ValueError:
                digest_at = None
        if not isinstance(digest_at, time):
            raise self.fail(
                "[mail] digest_at",
                f"is {section.get('digest_at')!r}, not a time",
                'digest_at = "08:00"',
            )
        default_port = {"ssl": 465, "starttls": 587}.get(security, _MAIL.port)
        return MailSettings(
            host=self.text("mail", "host", _MAIL.host),
            port=self.integer("mail", "port", default_port),
            security=security,
            username=self.text("mail", "username", ""),
            password=password,
            sender=self.text("mail", "sender", _MAIL.sender),
            departments=addresses,
            digest_to=self.addresses("[mail] digest_to", section.get("digest_to", [])),
            digest_at=digest_at,
            due_soon_days=self.integer("mail", "due_soon_days", _MAIL.due_soon_days),
            digest_departments=self.flag("mail", "digest_departments", _MAIL.digest_departments),
        )

    def archive(self) -> ArchiveSettings:
        return ArchiveSettings(
            close_quarters=self.flag("archive", "close_quarters", _ARCHIVE.close_quarters),
            closure_packets=self.flag("archive", "closure_packets", _ARCHIVE.closure_packets),
        )

    def flag(self, section: str, key: str, default: bool) -> bool:
        value = self.table(section).get(key, default)
        if not isinstance(value, bool):
            raise self.fail(
                f"[{section}] {key}",
                f"is {value!r}, not true or false",
                f"{key} = {str(not default).lower()}",
            )
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.table("watch").get(key, default)
        # `not 0 <= value < 1e9` also refuses TOML's nan and inf.
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1e9:
            raise self.fail(
                f"[watch] {key}", f"is {value!r}, not a number of seconds", f"{key} = {default:g}"
            )
        return float(value)

    def known(self, section: str, keys: set[str]) -> None:
        """A key the section does not have is a typo or a setting of another closedloop:
        ignoring it would leave the site believing it is in force."""
        unknown = sorted(set(self.table(section)) - keys)
        if unknown:
            raise SettingsError(
                f"{self.path}: [{section}] {unknown[0]} is not a setting of [{section}]; "
                f"write one of {', '.join(sorted(keys))}, or remove the line"
            )

    def positive(self, section: str, key: str, default: float, unit: str, whole: bool) -> float:
        value = self.table(section).get(key, default)
        kinds = int if whole else int | float
        if not isinstance(value, kinds) or isinstance(value, bool) or not 0 < value < 1e9:
            what = "a whole number" if whole else "a number"
            raise self.fail(
                f"[{section}] {key}",
                f"is {value!r}, not {what} of {unit} above 0",
                f"{key} = {default:g}",
            )
        return value

    def watch(self) -> WatchSettings:
        self.known("watch", {"window", "poll", "rescan", "stale_owner_minutes"})
        poll = self.seconds("poll", 0)  # 0 or absent: native events
        return WatchSettings(
            window=self.seconds("window", _WATCH.window),
            poll=poll or None,
            rescan=self.seconds("rescan", _WATCH.rescan) or _WATCH.rescan,
            stale_owner_minutes=float(
                self.positive(
                    "watch",
                    "stale_owner_minutes",
                    _WATCH.stale_owner_minutes,
                    "minutes",
                    whole=False,
                )
            ),
        )

    def inbox(self) -> InboxSettings:
        self.known("inbox", {"max_evidence_mb"})
        megabytes = self.positive(
            "inbox", "max_evidence_mb", _INBOX.max_evidence_mb, "megabytes", whole=True
        )
        return InboxSettings(max_evidence_mb=int(megabytes))


def now(override: str | None = None) -> datetime:
    """The current time, or the one set with --now or CLOSEDLOOP_NOW (tests, replays)."""
    text = override or os.environ.get(CLOCK_VARIABLE)
    if not text:
        return datetime.now().replace(microsecond=0)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(
            f"the clock '{text}' (from --now or {CLOCK_VARIABLE}) is not a time; "
            "write it like 2026-11-20T09:30"
        ) from None
