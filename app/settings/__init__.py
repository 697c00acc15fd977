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
from filing.folders import FolderNames
from language import DEFAULT as DEFAULT_LANGUAGE
from language import language_code

__all__ = [
    "CLOCK_VARIABLE",
    "SETTINGS_FILE",
    "ArchiveSettings",
    "InboxSettings",
    "Settings",
    "SettingsError",
    "UnknownSetting",
    "WatchSettings",
    "folder_names_in",
    "load_settings",
    "now",
    "read_settings",
    "settings_template",
]

CLOCK_VARIABLE = "CLOSEDLOOP_NOW"


def settings_template(language: str = DEFAULT_LANGUAGE) -> str:
    """The commented settings file `closedloop init --language` writes: its comments, its
    folder and department names in that language (closedloop.zh-CN.toml)."""
    code = language_code(language)
    name = SETTINGS_FILE if code == DEFAULT_LANGUAGE else f"closedloop.{code}.toml"
    return resources.files("templates").joinpath(name).read_text(encoding="utf-8")


def load_settings(root: Path | None) -> Settings:
    """Settings of the shared folder `root`; defaults when there is no settings file."""
    if root is None or not (root / SETTINGS_FILE).exists():
        return Settings()
    path = root / SETTINGS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    return read_settings(path, text)


def folder_names_in(root: Path) -> tuple[FolderNames, dict[str, str]] | None:
    """The folders' and departments' names the settings file of `root` gives, even when
    another of its settings is wrong (`doctor` looks for the folders by them); None when
    those cannot be read."""
    path = root / SETTINGS_FILE
    try:
        reader = SettingsReader(path, tomllib.loads(path.read_text(encoding="utf-8")))
        return reader.folders(), reader.departments()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, SettingsError):
        return None


def read_settings(path: Path, text: str) -> Settings:
    """The settings `text` holds, as the file `path` (named in every message)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
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
