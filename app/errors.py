"""Errors of the watcher package (the shared folder and its intake)."""

from __future__ import annotations

from pathlib import Path


class WatcherError(Exception):
    """Base error of the watcher package."""


class NotASharedFolder(WatcherError):
    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(
            f"{root} is not a closedloop shared folder (no Inbox or .closedloop in it); "
            f"lay it out with `closedloop init {root}`"
        )
