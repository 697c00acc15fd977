"""A slow job's thread under `watch` (rendering a packet, talking to a mail server): it
does the job's work with an application of its own (its own registry connection) and
hands what it made back to the worker, which records it. Each piece of work is queued
once until it is back."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from app.application import App
from app.jobs.base import AnyJob
from filing.registry import RegistryUnreachable


class Lane:
    def __init__(
        self,
        job: AnyJob,
        open_app: Callable[[], App],
        now: Callable[[], datetime],
        stop: threading.Event,
    ) -> None:
        self.job = job
        self._open_app = open_app
        self._now = now
        self._stop = stop
        self._todo: queue.Queue[Hashable] = queue.Queue()
        self._made: queue.Queue[tuple[Hashable, Any]] = queue.Queue()
        self._in_flight: set[Hashable] = set()  # the worker's: queued and not yet back

    def put(self, work: Hashable) -> bool:
        """Queue `work` unless it is queued already; whether it was queued now."""
        if work in self._in_flight:
            return False
        self._in_flight.add(work)
        self._todo.put(work)
        return True

    def run(self) -> None:
        """The lane's thread. An error opening its application ends it (the service
        stops, see Watcher._thread), but for a shared registry's server away: waited for,
        1, 2, 4 … 60 s; an error of one piece of work is handed back."""
        app = self._open_patiently()
        if app is None:
            return
        with app:
            while not self._stop.is_set():
                try:
                    work = self._todo.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    with app.settings.speaking():
                        made: Any = self.job.do(app, work, self._now())
                except Exception as exc:  # the worker decides: said, or the service stops
                    made = exc
                self._made.put((work, made))

    def _open_patiently(self) -> App | None:
        wait = 0.0
        while not self._stop.is_set():
            try:
                return self._open_app()
            except RegistryUnreachable:  # the worker says so, and waits likewise
                wait = min(60.0, wait * 2 or 1.0)
                self._stop.wait(wait)
        return None

    def finished(self) -> list[tuple[Hashable, Any]]:
        """The work done since the last call, with what it made (or its exception)."""
        out: list[tuple[Hashable, Any]] = []
        while True:
            try:
                work, made = self._made.get_nowait()
            except queue.Empty:
                return out
            self._in_flight.discard(work)
            out.append((work, made))
