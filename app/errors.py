"""Errors of the app package: the shared folder, its settings, registry and intake."""

from __future__ import annotations

import shlex
from pathlib import Path

from language import _


def command_path(path: Path) -> str:
    """`path` as it can be pasted after a command: quoted when it holds spaces or quotes,
    and never read as an option (a folder named `--help`)."""
    text = str(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)


class AppError(Exception):
    """Base error of the app package."""


class NotASharedFolder(AppError):
    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.exists():
            said = _(
                "{root} is not a closedloop shared folder (it does not exist); "
                "lay it out with `closedloop init {command}`"
            )
        else:
            said = _(
                "{root} is not a closedloop shared folder (it has no Inbox or .closedloop in "
                "it); lay it out with `closedloop init {command}`"
            )
        super().__init__(said.format(root=root, command=command_path(root)))
