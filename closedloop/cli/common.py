"""What every command shares: the shared folder argument, the clock option, JSON output,
and the one place library errors become messages and exit codes.

Exit codes: 0 done; 1 done, with problems (in what was read, refused files, findings);
2 refused or failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from app.application import App
from app.errors import AppError
from app.settings import Settings, load_settings, now, settings_told_in
from archive.errors import ArchiveError
from closedloop.cli.options import json_option, now_option, root_argument
from closedloop.columns import pad
from filing.errors import FilingError
from forms.errors import FormError, RefusedFile
from language import _

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fail(message: str, as_json: bool = False, kind: str = "error") -> NoReturn:
    if as_json:
        echo_json({"error": {"kind": kind, "message": message}})
    else:
        click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(EXIT_REFUSED)


def explained(exc: BaseException) -> tuple[str, str] | None:
    """A library error's kind and message, as a command says it; None for anything else
    (a fault of closedloop's own: it is raised, with its traceback)."""
    if isinstance(exc, RefusedFile):
        return exc.kind, exc.message
    if isinstance(exc, (FormError, FilingError, ArchiveError, AppError)):
        return "error", str(exc)
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None) or ""
        return "os_error", f"{name}: {exc.strerror or exc}"
    return None


@contextmanager
def errors(as_json: bool = False) -> Iterator[None]:
    """The one place where library errors become messages and exit codes."""
    try:
        yield
    except (FormError, FilingError, ArchiveError, AppError, OSError) as exc:
        said = explained(exc)
        assert said is not None
        fail(said[1], as_json, said[0])


def folder_settings(root: Path | None) -> Settings:
    """The settings of the shared folder at `root`, for the language its command speaks
    and the names of its folders. The defaults (English) for a command on no folder; where
    the settings cannot be used, the language and folder names the file gives as far as it
    can be read: the command itself then says why, in that language."""
    if root is None:
        return Settings()
    try:
        return load_settings(root)
    except (AppError, OSError, ValueError):
        return settings_told_in(root)


@contextmanager
def opened(root: Path, *, isolated: bool = False) -> Iterator[App]:
    """The shared folder ROOT, laid out, with its settings and registry (nothing created)."""
    with App.open(root, isolated=isolated) as app:
        yield app


__all__ = [
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_REFUSED",
    "echo_json",
    "errors",
    "explained",
    "fail",
    "folder_settings",
    "json_option",
    "now",
    "now_option",
    "opened",
    "pad",
    "root_argument",
]
