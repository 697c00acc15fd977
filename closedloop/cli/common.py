"""What every command shares: the shared folder argument, the clock option, JSON output,
and the one place library errors become messages and exit codes.

Exit codes: 0 done; 1 done, with problems (in what was read, refused files, findings);
2 refused or failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from app.application import App
from app.errors import AppError
from app.settings import Settings, load_settings, now
from archive.errors import ArchiveError
from closedloop.columns import pad
from filing.errors import FilingError
from forms.errors import FormError, RefusedFile
from language import _

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: The shared folder: the first argument of every command that works on one.
root_argument: Decorator = click.argument(
    "root", type=click.Path(path_type=Path, file_okay=False), metavar="ROOT"
)
json_option: Decorator = click.option("--json", "as_json", is_flag=True, help="Answer as JSON.")
now_option: Decorator = click.option(
    "--now",
    "clock",
    metavar="TIME",
    help="Act as if it were TIME (2026-11-20T09:30); tests and replays.",
)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fail(message: str, as_json: bool = False, kind: str = "error") -> NoReturn:
    if as_json:
        echo_json({"error": {"kind": kind, "message": message}})
    else:
        click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(EXIT_REFUSED)


@contextmanager
def errors(as_json: bool = False) -> Iterator[None]:
    """The one place where library errors become messages and exit codes."""
    try:
        yield
    except RefusedFile as exc:
        fail(exc.message, as_json, exc.kind)
    except (FormError, FilingError, ArchiveError, AppError) as exc:
        fail(str(exc), as_json)
    except OSError as exc:
        name = getattr(exc, "filename", None) or ""
        fail(f"{name}: {exc.strerror or exc}", as_json, "os_error")


def folder_settings(root: Path | None) -> Settings:
    """The settings of the shared folder at `root`, for the language its command speaks
    and the names of its folders. The defaults (English) for a command on no folder, and
    where the settings cannot be read: the command itself then says why, in English."""
    if root is None:
        return Settings()
    try:
        return load_settings(root)
    except (AppError, OSError, ValueError):
        return Settings()


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
    "fail",
    "folder_settings",
    "json_option",
    "now",
    "now_option",
    "opened",
    "pad",
    "root_argument",
]
