"""A closed case's closure packet: rendered by LibreOffice (seconds: `watch` does it on a
thread of its own, reading the registry), filed into its case folder by the thread that
owns the registry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from app.results import Outcome
from archive.casefolder import case_folder
from archive.errors import ArchiveError
from archive.packet import build_packet, file_packet
from filing.states import CaseState
from language import N_, _

if TYPE_CHECKING:
    from app.application import App


class ClosurePacketJob(Job[str, bytes]):
    slow = True
    later = N_("its closure packet is being built")

    def todo(self, app: App, trigger: Trigger) -> Sequence[str]:
        if trigger.when is When.START:
            return _missing(app)
        if trigger.when is When.FILED and trigger.filed is not None:
            case_id = trigger.filed.case_id
            return [case_id] if case_id is not None and _wants(app, case_id) else []
        return []

    def do(self, app: App, work: str, now: datetime) -> bytes:
        return packet_of(app, work, now)

    def done(self, app: App, work: str, made: bytes | Exception, now: datetime) -> Done:
        if not isinstance(made, Exception) and not _wants(app, work):
            return Done(_("it already has its packet"), Outcome.IGNORED, work)
        try:
            if isinstance(made, Exception):
                raise made
            where = file_packet(app.folder.root, app.folder.archive, app.registry, work, made, now)
        except (ArchiveError, OSError) as exc:
            return Done(
                _(
                    "the closure packet could not be built ({why}); build it with "
                    "`closedloop packet`"
                ).format(why=exc),
                Outcome.IGNORED,
                work,
            )
        return Done(
            _("closure packet: {where}").format(where=where.relative_to(app.folder.root)),
            case_id=work,
            changed=(work,),
        )


def packet_of(app: App, case_id: str, now: datetime) -> bytes:
    """The case's closure packet, built with the folder's settings (the service's job,
    and `closedloop packet`'s)."""
    return build_packet(
        app.folder.archive,
        app.registry,
        app.settings.policy,
        case_id,
        app.renderer,
        now,
        currency=app.settings.currency,
        company=app.settings.company_name,
    )


def _wants(app: App, case_id: str) -> bool:
    case = app.registry.case(case_id)
    return case is not None and case.state == CaseState.CLOSED and not case.packet_sha256


def _missing(app: App) -> list[str]:
    """Closed cases without their packet (a run stopped while building it), except those
    sealed in their quarter (read-only)."""
    return [
        case.case_id
        for case in app.registry.cases(state=CaseState.CLOSED)
        if not case.packet_sha256
        and case_folder(app.folder.archive, case.case_id, case.customer).parent
        == app.folder.archive
    ]
