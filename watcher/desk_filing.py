"""`closedloop packet` while `watch` runs: the service holds the folder's worker lock, so
the command cannot build and file a packet itself; it hands the job to the service's
packet desk (closedloop/desk, started by `closedloop watch`), and this is the service's
side of it.

The packet is built on the desk's thread, with a registry connection of its own (as a
lane builds one); it is filed by the worker, the one thread that writes the registry and
the folders, which then brings the case's pages up to date as after any packet. The desk
waits for the worker's answer: where the packet went, or why it could not go."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from pathlib import Path

from app.application import App
from app.errors import AppError
from app.faults import registry_failure
from app.jobs.packets import packet_of
from app.settings import now as clock_now
from archive.packet import file_packet
from language import _

#: How long the desk waits for the worker to file a packet (the worker may be filing a
#: backlog of batches first, or waiting for a shared registry's server).
FILING_SECONDS = 300.0


class ServiceStopped(AppError):
    """The service stopped, or did not get to it, before filing the packet."""


class DeskFilings:
    """Packets built for the command, waiting for the worker to file them."""

    def __init__(self, open_app: Callable[[], App], wake: threading.Event) -> None:
        self._open_app = open_app
        self._wake = wake  # the worker's: it files at once, not at its next look
        self._waiting: queue.Queue[tuple[str, bytes, datetime, Future[Path]]] = queue.Queue()
        self._guard = threading.Lock()
        self._closed = False  # the service stopped: nothing more is filed

    def packet(
        self, case_id: str, clock: str | None, *, into_folder: bool
    ) -> tuple[bytes, Path | None]:
        """The desk's job (closedloop/desk/server.py): build the packet here; when it goes
        into its case folder, have the worker file it, and wait."""
        moment = clock_now(clock)
        if self._closed:  # stopping: not a packet built for nothing
            raise self._stopped(case_id)
        with self._open_app() as app:
            pdf = packet_of(app, case_id, moment)
        if not into_folder:
            return pdf, None
        filed: Future[Path] = Future()
        with self._guard:
            if self._closed:
                raise self._stopped(case_id)
            self._waiting.put((case_id, pdf, moment, filed))
        self._wake.set()
        try:
            return pdf, filed.result(FILING_SECONDS)
        except FutureTimeout:
            if not filed.cancel():  # the worker took it meanwhile: its answer stands
                return pdf, filed.result()
            raise ServiceStopped(
                _(
                    "the service did not file the packet of {case_id} within {seconds} s; "
                    "see its log (watch.log), and run the command again"
                ).format(case_id=case_id, seconds=f"{FILING_SECONDS:g}")
            ) from None

    def file_waiting(self, app: App, then: Callable[[str], None]) -> None:
        """The worker's part: file what waits, and `then` bring what follows a packet up to
        date (the case's page), before the command is answered. An error goes back to the
        command that asked (and is raised here too when it is the registry's: the service
        stops on it, as on any filing's)."""
        while True:
            try:
                case_id, pdf, moment, done = self._waiting.get_nowait()
            except queue.Empty:
                return
            if not done.set_running_or_notify_cancel():
                continue  # the command gave up waiting, and was told so: not filed
            try:
                where = file_packet(
                    app.folder.root, app.folder.archive, app.registry, case_id, pdf, moment
                )
            except Exception as exc:
                done.set_exception(exc)
                if registry_failure(exc) is not None:
                    raise
                continue
            try:
                then(case_id)
            finally:
                done.set_result(where)

    def fail_waiting(self) -> None:
        """The service stops: what still waits is not filed, nor what comes later; the
        commands are told."""
        with self._guard:
            self._closed = True
        while True:
            try:
                case_id, _pdf, _moment, done = self._waiting.get_nowait()
            except queue.Empty:
                return
            done.set_exception(self._stopped(case_id))

    @staticmethod
    def _stopped(case_id: str) -> ServiceStopped:
        return ServiceStopped(
            _(
                "the service stopped before it filed the packet of {case_id}; run the command again"
            ).format(case_id=case_id)
        )
