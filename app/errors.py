"""Errors of the app package: the shared folder, its settings, registry and intake."""

from __future__ import annotations

from pathlib import Path


class AppError(Exception):
    """Base error of the app package."""


class NotASharedFolder(AppError):
    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(
            f"{root} is not a closedloop shared folder (no Inbox or .closedloop in it); "
            f"lay it out with `closedloop init {root}`"
        )
