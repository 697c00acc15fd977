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
    def __init__(self, root: Path, inbox: str = "Inbox") -> None:
        self.root = root
        if not root.exists():
            said = _(
                "{root} is not a closedloop shared folder (it does not exist); "
                "lay it out with `closedloop init {command}`"
            )
        else:
            said = _(
                "{root} is not a closedloop shared folder (it has no {inbox} or .closedloop in "
                "it); lay it out with `closedloop init {command}`"
            )
        super().__init__(said.format(root=root, command=command_path(root), inbox=inbox))


class FolderMissing(NotASharedFolder):
    """A folder the settings name is not there (renamed, or removed): nothing is made in
    its place, or the cases would be split between two folders."""

    def __init__(self, root: Path, key: str, name: str) -> None:
        self.root, self.key, self.name = root, key, name
        AppError.__init__(
            self,
            _(
                "{root}: the folder {name} ([folders] {key} in closedloop.toml) is missing; if "
                "it was renamed, rename it back or write its new name there; if it was "
                "removed, `closedloop init {command}` makes it anew, empty"
            ).format(root=root, name=name, key=key, command=command_path(root)),
        )
