"""`closedloop rebuild` on a shared registry: one site's archive loaded into the PostgreSQL
registry several sites share.

A registry never deletes a case nor rewrites a history (its own rules), so a site is
loaded only into a registry that holds none of its cases: a plant's folder joining the
group from a registry of its own, or a group database made anew. Each case becomes a case
of the site; an event in its history says so, and its case.json, history and manifest are
written again through the journal (all or nothing, a `kill -9` included), so that `verify`
finds every folder as the registry has it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from archive.casefile import stage_case_files
from archive.journal import journaled, recover
from archive.layout import case_folders
from archive.rebuild import (
    SHOWN_PROBLEMS,
    RebuildRefused,
    Rebuilt,
    case_id_of,
    load_case,
    load_history,
    refuse_untrusted,
)
from filing.records import Event
from filing.registry import Registry
from filing.registry.database import driver_errors
from language import _

#: The event a loaded case's history gets (archive/timeline.py puts it in words).
JOINED = "joined the shared registry"


def load_site(archive: Path, root: Path, registry: Registry, now: datetime) -> Rebuilt:
    """Load the case folders of `archive` (the shared folder `root`'s) into the shared
    `registry` as its site's cases; refused (RebuildRefused) when the site has cases there
    already or another site holds one of the numbers."""
    recover(root, registry)  # a load stopped after its commit is finished first
    folders = case_folders(archive)
    refuse_untrusted(archive, folders)
    held = {case_id: folder for folder in folders if (case_id := case_id_of(folder))}
    filings = 0
    unexpected: tuple[type[BaseException], ...] = (
        *driver_errors(),
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    )
    try:
        with journaled(registry, root, now) as plan:
            # A reopened case and its successor point at each other: checked at commit.
            registry.db.defer_foreign_keys()
            _refuse_taken(registry, sorted(held))
            events: list[tuple[int | None, Event, Path]] = []
            for folder in folders:
                filings += load_case(registry, folder, events)
            load_history(registry, events)
            for case_id in sorted(held):
                said = f"as a case of site {registry.site}"
                registry.append_history(Event(case_id, now, JOINED, None, None, None, said))
            for case_id, folder in held.items():
                stage_case_files(plan, registry, folder, case_id)
    except unexpected as exc:
        # Checked above, so not expected; a folder the checks let through must end in a
        # message, never a traceback. The transaction is rolled back: nothing was loaded.
        raise RebuildRefused(
            _(
                "{archive}: the case folders cannot be loaded into the shared registry "
                "({why}); nothing was loaded. Run `closedloop verify` and restore what it "
                "finds from a backup"
            ).format(archive=archive, why=repr(exc))
        ) from None
    return Rebuilt(len(folders), filings, registry.db.where, None, registry.chain_head())


def _refuse_taken(registry: Registry, case_ids: list[str]) -> None:
    if registry.first_opened() is not None or registry.chain_head()[0] > 0:
        raise RebuildRefused(
            _(
                "{where}: site {site} has cases on the shared registry already, and a "
                "registry never deletes a case: nothing was loaded. The registry holds what "
                "this site filed; if it lost some, restore the database from its backup"
            ).format(where=registry.db.where, site=registry.site)
        )
    taken = [
        (case_id, case.site) for case_id in case_ids if (case := registry.case(case_id)) is not None
    ]
    if taken:
        shown = ", ".join(f"{case_id} ({site})" for case_id, site in taken[:SHOWN_PROBLEMS])
        raise RebuildRefused(
            _(
                "{where}: {count} of this archive's case numbers are other sites' on the "
                "shared registry ({cases}): the folders numbered their cases apart before they "
                "shared one registry, and a case's number is never changed. Nothing was "
                "loaded; keep this folder on a registry of its own (empty [registry] url)"
            ).format(where=registry.db.where, count=len(taken), cases=shown)
        )
