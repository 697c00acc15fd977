"""Settings: resolved once from ROOT/closedloop.toml into one object, passed down explicitly.

Every mistake names the file, the key, what is wrong and what to write instead; a key or
section no setting reads is refused with the nearest known one (model.py: the object and
its defaults; reader.py: the file read into it; check.py: what the file may hold).
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from importlib import resources
from pathlib import Path

from app.settings.model import (
    SETTINGS_FILE,
    ArchiveSettings,
    InboxSettings,
    Settings,
    SettingsError,
    UnknownSetting,
    WatchSettings,
)
from app.settings.reader import SettingsReader

__all__ = [
    "CLOCK_VARIABLE",
    "SETTINGS_FILE",
    "ArchiveSettings",
    "InboxSettings",
    "Settings",
    "SettingsError",
    "UnknownSetting",
    "WatchSettings",
    "load_settings",
    "now",
    "settings_template",
]

CLOCK_VARIABLE = "CLOSEDLOOP_NOW"


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
    return SettingsReader(path, raw).settings()


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
