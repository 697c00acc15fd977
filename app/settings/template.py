"""The commented settings file `closedloop init --language` writes, one per language
(templates/closedloop.toml, closedloop.zh-CN.toml), and the folder names it gives: the
names a message suggests when one written is wrong."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from app.settings.model import SETTINGS_FILE
from language import DEFAULT, language_code


def settings_template(language: str = DEFAULT) -> str:
    """The template in `language`: its comments, its folder and department names in it."""
    code = language_code(language)
    name = SETTINGS_FILE if code == DEFAULT else f"closedloop.{code}.toml"
    return resources.files("templates").joinpath(name).read_text(encoding="utf-8")


@cache
def template_names(language: str) -> dict[str, str]:
    """[folders] and [departments] of the template in `language`, by key."""
    raw = tomllib.loads(settings_template(language))
    return {**raw.get("folders", {}), **raw.get("departments", {})}
