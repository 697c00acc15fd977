"""What watchdog tells of the Inbox, as paths on the worker's queue: the observer thread
never waits for filing, and a folder moved in whole asks for a walk of the Inbox."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MOVED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)

# Reading a file (ours included) raises these; they say nothing changed.
_READ_ONLY_EVENTS = (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE)


class InboxEvents(FileSystemEventHandler):
    def __init__(self, inbox: Path, paths: queue.Queue[Path], rescan: threading.Event) -> None:
        self.inbox = inbox
        self.paths = paths
        self.rescan = rescan

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _READ_ONLY_EVENTS:
            return
        if event.is_directory:
            # A folder moved in whole raises no event for the files in it: walk the Inbox.
            if event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED):
                self.rescan.set()
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(os.fsdecode(raw))
                if path != self.inbox and path.is_relative_to(self.inbox):  # at any depth
                    self.paths.put(path)
