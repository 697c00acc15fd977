"""The arguments and options many commands share. Light on purpose (click only): a command
that hands its work to a running process (`closedloop packet`, closedloop/desk) imports
these and not the library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

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

__all__ = ["Decorator", "json_option", "now_option", "root_argument"]
