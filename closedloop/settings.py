"""Settings: resolved once from closedloop.toml into one object, passed down explicitly."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from forms.writer import DEFAULT_COMPANY

SETTINGS_FILE = "closedloop.toml"


class SettingsError(Exception):
    """The settings file cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Settings:
    company_name: str = DEFAULT_COMPANY


def load_settings(root: Path | None) -> Settings:
    """Settings of the shared folder `root`; defaults when there is no settings file."""
    if root is None:
        return Settings()
    path = root / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    company = raw.get("company", {}).get("name", DEFAULT_COMPANY)
    if not isinstance(company, str) or not company.strip():
        raise SettingsError(f'{path}: [company] name must be text, like name = "Acme Ltd."')
    return Settings(company_name=company.strip())
