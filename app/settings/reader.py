"""Reading closedloop.toml into Settings: every value checked, every mistake named with the
file, the key and what to write instead; and nothing in the file left unread (check.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.numbers import is_currency

from app.settings.check import (
    UnknownSettings,
    calendar_problem,
    complaint_categories,
    currency_meant,
    department_id_problem,
    did_you_mean,
    folder_name_problem,
    key_text,
    name_mended,
    nearest,
)
from app.settings.language import read_folders, read_languages, suggested
from app.settings.mail import read_mail
from app.settings.model import (
    ArchiveSettings,
    InboxSettings,
    RegistrySettings,
    Settings,
    SettingsError,
    UnknownSetting,
    WatchSettings,
)
from app.settings.registry import read_registry
from filing.folders import FolderNames
from filing.policy import DEFAULT_OUTBOXES, DEFAULT_ROUTES, CalendarPolicy, DeadlinePolicy, Policy
from forms.writer import DEFAULT_COMPANY
from language import N_, _
from mail.settings import MailSettings

# The defaults, typed once in the dataclasses: what a settings file leaves out.
_SETTINGS = Settings()
_POLICY = _SETTINGS.policy
_DEADLINES = _POLICY.deadlines
_WATCH = _SETTINGS.watch
_ARCHIVE = _SETTINGS.archive
_INBOX = _SETTINGS.inbox


class SettingsReader:
    """Reads the parsed file into Settings, refusing what it cannot use or does not know."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw
        # What the file may hold is what this reader asks for: section -> its keys read,
        # and the tables whose keys are the site's own.
        self.read: dict[str, set[str]] = {}
        self.free: set[str] = set()

    def fail(self, key: str, problem: str, example: str, near: str | None = None) -> SettingsError:
        return SettingsError(
            _("{file}: {key} {problem}; {did_you_mean}write it like {example}").format(
                file=self.path,
                key=key,
                problem=problem,
                did_you_mean=did_you_mean(near),
                example=example,
            )
        )

    def table(self, name: str) -> dict[str, Any]:
        self.read.setdefault(name, set())
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", _("must be a section"), f"[{name}]")
        return value

    def get(self, section: str, key: str, default: Any) -> Any:
        """The value of one setting (known from now on), or its default."""
        value = self.table(section).get(key, default)
        self.read[section].add(key)
        return value

    def free_table(self, section: str, within: dict[str, Any] | None = None) -> dict[str, Any]:
        """A table whose keys the site names ([departments], [mail.departments])."""
        name = section.rpartition(".")[2]
        value = self.table(section) if within is None else within.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f"[{section}]", _("must be a section"), f"[{section}]")
        self.free.add(section)
        return value

    def integer(self, section: str, key: str, default: int) -> int:
        value = self.get(section, key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(
                f"[{section}] {key}",
                _("is {value}, not a whole number").format(value=repr(value)),
                f"{key} = {default}",
            )
        return value

    def departments(self) -> dict[str, str]:
        out = dict(DEFAULT_OUTBOXES)
        written = self.free_table("departments")
        for key, value in written.items():
            problem = department_id_problem(key, DEFAULT_OUTBOXES, written)
            if problem is not None:
                said, near = problem
                shown = json.dumps(
                    value if isinstance(value, str) else _("Folder name"), ensure_ascii=False
                )
                raise self.fail(
                    f"[departments] {key_text(key)}",
                    said,
                    f"{near or 'new_department'} = {shown}",
                    near,
                )
            if not isinstance(value, str):
                raise self.fail(
                    f"[departments] {key}",
                    _("is {value}, not a name").format(value=repr(value)),
                    f"{key} = {json.dumps(_('Name'), ensure_ascii=False)}",
                )
            wrong = folder_name_problem(value)
            if wrong is not None:
                raise self.fail(
                    f"[departments] {key}",
                    _("is {value}, not a name a folder can have: {problem}").format(
                        value=repr(value), problem=wrong
                    ),
                    f"{key} = {json.dumps(name_mended(value, suggested(key, _('Name'))), ensure_ascii=False)}",
                )
            out[key] = value
        return out

    def routes(self, outboxes: dict[str, str]) -> dict[str, str]:
        out = dict(DEFAULT_ROUTES)
        categories = complaint_categories()
        by_name = {name.casefold(): dept for dept, name in outboxes.items()}
        for key, value in self.free_table("routing").items():
            if key not in categories:
                raise SettingsError(
                    _(
                        "{file}: [routing] {key} is not a complaint category; {did_you_mean}"
                        "write one of {categories}, or remove the line"
                    ).format(
                        file=self.path,
                        key=key_text(key),
                        did_you_mean=did_you_mean(nearest(key, categories)),
                        categories=", ".join(categories),
                    )
                )
            if not isinstance(value, str) or not value.strip():
                raise self.fail(
                    f"[routing] {key}",
                    _("is {value}, not a name").format(value=repr(value)),
                    f'{key} = "quality_management"',
                )
            dept = value.strip()
            if dept not in outboxes:
                near = by_name.get(dept.casefold()) or nearest(dept, outboxes)
                raise self.fail(
                    f"[routing] {key}",
                    _("names a department '{department}' that [departments] does not have").format(
                        department=dept
                    ),
                    f'{key} = "{near or "quality_management"}"',
                    near,
                )
            out[key] = dept
        return out

    def dates(self, key: str) -> frozenset[date]:
        values = self.get("calendar", key, [])
        out = set()
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, date) and not isinstance(v, datetime):
                out.add(v)
            elif isinstance(v, str):
                try:
                    out.add(date.fromisoformat(v))
                except ValueError:
                    raise self.fail(
                        f"[calendar] {key}",
                        _("holds {value}, not a date").format(value=repr(v)),
                        f"{key} = [2026-12-24]",
                    ) from None
            else:
                raise self.fail(
                    f"[calendar] {key}",
                    _("holds {value}, not a date").format(value=repr(v)),
                    f"{key} = [2026-12-24]",
                )
        return frozenset(out)

    def calendar(self) -> CalendarPolicy:
        country = self.get("calendar", "country", _POLICY.calendar.country or "")
        subdivision = self.get("calendar", "subdivision", "")
        if not isinstance(country, str):
            raise self.fail(
                "[calendar] country",
                _("is {value}, not text").format(value=repr(country)),
                'country = "CN"',
            )
        if not isinstance(subdivision, str):
            raise self.fail(
                "[calendar] subdivision",
                _("is {value}, not text").format(value=repr(subdivision)),
                'subdivision = ""',
            )
        code = country.strip().upper() or None
        region = subdivision.strip() or None
        problem = calendar_problem(country.strip() or None, region)
        if problem is not None:
            key, said, example, near = problem
            raise self.fail(f"[calendar] {key}", said, example, near)
        return CalendarPolicy(
            country=code,
            subdivision=region,
            extra_holidays=self.dates("extra_holidays"),
            extra_workdays=self.dates("extra_workdays"),
        )

    def settings(self) -> Settings:
        company = self.get("company", "name", DEFAULT_COMPANY)
        if not isinstance(company, str) or not company.strip():
            raise self.fail("[company] name", _("must be text"), 'name = "Acme Ltd."')
        outboxes = self.departments()
        policy = Policy(
            acceptance_days=self.integer("thresholds", "acceptance_days", _POLICY.acceptance_days),
            few_hosts=self.integer("thresholds", "few_hosts", _POLICY.few_hosts),
            few_accessories=self.integer("thresholds", "few_accessories", _POLICY.few_accessories),
            sample_sets=self.integer("thresholds", "sample_sets", _POLICY.sample_sets),
            repeat_window_days=self.integer(
                "thresholds", "repeat_window_days", _POLICY.repeat_window_days
            ),
            report_rows=max(1, self.integer("reports", "listed", _POLICY.report_rows)),
            routes=self.routes(outboxes),
            outboxes=outboxes,
            folders=self.folders(),
            calendar=self.calendar(),
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
        language, second = self.languages()
        settings = Settings(
            company_name=company.strip(),
            language=language,
            second_language=second,
            currency=self.currency(),
            policy=policy,
            watch=self.watch(),
            archive=self.archive(),
            mail=self.mail(outboxes),
            weekly_reports=self.flag("reports", "weekly", _SETTINGS.weekly_reports),
            inbox=self.inbox(),
            registry=self.registry(),
        )
        self.refuse_unknown()
        return settings

    def refuse_unknown(self) -> None:
        """Every key and section the file holds that no setting above read."""
        problems = UnknownSettings(self.raw, self.read, self.free).problems()
        if problems:
            (what, message), rest = problems[0], [what for what, _ in problems[1:]]
            also = _(" (not settings either: {keys})").format(keys=", ".join(rest)) if rest else ""
            said = _("{file}: {problem}").format(file=self.path, problem=message + also)
            raise UnknownSetting(self.path, what, said)

    def folders(self) -> FolderNames:
        return read_folders(self)

    def languages(self) -> tuple[str, str | None]:
        return read_languages(self)

    def currency(self) -> str:
        value = self.get("company", "currency", _SETTINGS.currency)
        code = value.strip().upper() if isinstance(value, str) else ""
        if not is_currency(code):
            near = currency_meant(value)
            raise self.fail(
                "[company] currency",
                _("is {value}, not a three-letter currency code (ISO 4217)").format(
                    value=repr(value)
                ),
                f'currency = "{near or _SETTINGS.currency}"',
                near,
            )
        return code

    def registry(self) -> RegistrySettings:
        return read_registry(self)

    def text(self, section: str, key: str, default: str) -> str:
        value = self.get(section, key, default)
        if not isinstance(value, str):
            raise self.fail(
                f"[{section}] {key}",
                _("is {value}, not text").format(value=repr(value)),
                f'{key} = "{default}"',
            )
        return value.strip()

    def mail(self, outboxes: dict[str, str]) -> MailSettings:
        return read_mail(self, outboxes)

    def archive(self) -> ArchiveSettings:
        return ArchiveSettings(
            close_quarters=self.flag("archive", "close_quarters", _ARCHIVE.close_quarters),
            closure_packets=self.flag("archive", "closure_packets", _ARCHIVE.closure_packets),
        )

    def flag(self, section: str, key: str, default: bool) -> bool:
        value = self.get(section, key, default)
        if not isinstance(value, bool):
            raise self.fail(
                f"[{section}] {key}",
                _("is {value}, not true or false").format(value=repr(value)),
                f"{key} = {str(not default).lower()}",
            )
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.get("watch", key, default)
        # `not 0 <= value < 1e9` also refuses TOML's nan and inf.
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1e9:
            raise self.fail(
                f"[watch] {key}",
                _("is {value}, not a number of seconds").format(value=repr(value)),
                f"{key} = {default:g}",
            )
        return float(value)

    def positive(self, section: str, key: str, default: float, amount: str, whole: bool) -> float:
        """`amount`: what the value must be, marked with N_ ("a number of minutes above 0")."""
        value = self.get(section, key, default)
        kinds = int if whole else int | float
        if not isinstance(value, kinds) or isinstance(value, bool) or not 0 < value < 1e9:
            raise self.fail(
                f"[{section}] {key}",
                _("is {value}, not {amount}").format(value=repr(value), amount=_(amount)),
                f"{key} = {default:g}",
            )
        return value

    def watch(self) -> WatchSettings:
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
                    N_("a number of minutes above 0"),
                    whole=False,
                )
            ),
        )

    def inbox(self) -> InboxSettings:
        megabytes = self.positive(
            "inbox",
            "max_evidence_mb",
            _INBOX.max_evidence_mb,
            N_("a whole number of megabytes above 0"),
            whole=True,
        )
        return InboxSettings(max_evidence_mb=int(megabytes))
