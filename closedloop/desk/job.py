"""The packet job itself, as `closedloop packet` does it: in the office's process for the
command (server.py), or in the command's own when no desk answers."""

from __future__ import annotations

from pathlib import Path

from app.instance import InstanceLock
from app.jobs.packets import packet_of
from archive.packet import file_packet
from closedloop.cli.common import now, opened


def make_packet(
    root: Path, case_id: str, clock: str | None, *, into_folder: bool
) -> tuple[bytes, Path | None]:
    """Build `case_id`'s closure packet: its bytes, and where it was filed when it goes
    into its case folder (the folder's worker lock held, as every writer of the folder
    holds it). The library's errors are raised."""
    with opened(root) as app, InstanceLock(app.folder.state, "closedloop packet"):
        moment = now(clock)
        pdf = packet_of(app, case_id, moment)
        if not into_folder:
            return pdf, None
        where = file_packet(app.folder.root, app.folder.archive, app.registry, case_id, pdf, moment)
        app.pages.case_changed(case_id, moment)
        return pdf, where
