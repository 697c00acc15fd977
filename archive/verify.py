"""`closedloop verify`: is the archive as it was filed?

For each case folder: every file its manifest lists is there (else *missing*) with the
hash listed (else *altered*); every file in the folder is listed (else *unexpected*);
nothing in the folder is a link, a FIFO, a device or anything else but a file or a folder
(else *not-a-file*: never followed, opened or read, archive/listing.py);
the history's chain of hashes is whole (else *history*); case.json can be read, is of
the case the folder's name says (else *identity*) and agrees with the manifest about
every filed original, piece of evidence and issued copy.

A folder can be forged so that all of that holds (a file replaced, its manifest line and
case.json rewritten to match; a history's last line removed). So, when the registry is
there, each folder is also held against it (else *registry*): the case is in the
registry, every file has the hash the registry recorded when it was filed, case.json and
the history are the registry's, and every case in the registry has a folder. Across the
folders: no case in two folders (*identity*), and the archive-wide chain of every event
(filing/chain.py) recomputed from the histories is whole and the registry's (*chain*),
and reaches the anchor when one is given (*anchor*).

Each case costs the same whatever the size of the archive: its own files, a few
indexed reads of the registry, one hash an event.

The parts: archive.verify_folder (a folder against itself, with archive.verify_records
for its history and case.json), archive.verify_registry (a folder against the registry),
archive.verify_findings (what is found), archive.chaincheck (the archive chain).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archive.casefile import HISTORY
from archive.chaincheck import ChainCheck, ChainReport, link_of
from archive.layout import case_folders, quarter_folders
from archive.verify_findings import CaseCheck, Finding
from archive.verify_folder import against_manifest, check_case, not_a_folder
from archive.verify_records import JSON_ERRORS, MAX_RECORD_BYTES
from archive.verify_registry import against_registry
from filing.registry import Registry
from language import _

__all__ = [
    "JSON_ERRORS",
    "MAX_RECORD_BYTES",
    "CaseCheck",
    "Finding",
    "Verification",
    "case_folders",
    "quarter_folders",
    "verify_archive",
    "verify_case",
    "verify_quarter",
]


def verify_archive(
    archive: Path, registry: Registry | None = None, anchor: str | None = None
) -> Iterator[CaseCheck]:
    """Check each case folder, then each sealed quarter's manifest, then the archive as a
    whole, in turn (a caller can show progress)."""
    return iter(Verification(archive, registry, anchor))


class Verification:
    """One run of verify. `len()` is the number of checks it yields; after the run,
    `chain` tells how far the archive chain goes and where the anchor was found."""

    def __init__(
        self,
        archive: Path,
        registry: Registry | None = None,
        anchor: str | None = None,
        registry_problem: str | None = None,
    ) -> None:
        self.archive, self.registry, self.anchor = archive, registry, anchor
        self.registry_problem = registry_problem
        self.chain: ChainReport | None = None
        # The registry first, then the folders: a case or an event recorded while verify
        # runs (by the service) is not held against a folder listed before it existed.
        self.registry_events = registry.chain_head()[0] if registry else 0
        self.registry_cases = [c.case_id for c in registry.cases()] if registry else []
        self.cases = case_folders(archive)
        self.quarters = quarter_folders(archive)

    def __len__(self) -> int:
        return len(self.cases) + len(self.quarters) + 1

    def __iter__(self) -> Iterator[CaseCheck]:
        chain = ChainCheck()
        holders: dict[str, list[str]] = {}
        self._broken: set[str] = set()  # folders whose history is already found wrong
        for folder in self.cases:
            check, read = check_case(folder, self.archive)
            shown = folder.relative_to(self.archive).as_posix()
            if any(f.file == HISTORY for f in check.findings):
                self._broken.add(shown)
            elsewhere = self._other_sites(read.case_id, shown)
            if elsewhere is not None:
                # Another site's case, copied in: held against its own site's folder and
                # chain there, not against this site's.
                check.findings.append(elsewhere)
            elif read.case_id is not None:
                holders.setdefault(read.case_id, []).append(shown)
                for _line, entry in read.history:
                    link = link_of(entry, read.case_id, shown)
                    if link is not None:
                        chain.add(link)
                if self.registry is not None:
                    check.findings += against_registry(self.registry, read, shown, check)
            yield check
        for folder in self.quarters:
            yield verify_quarter(folder, self.archive)
        yield self._whole(holders, chain)

    def _other_sites(self, case_id: str | None, shown: str) -> Finding | None:
        """On a registry several sites share: the finding for a folder of a case another
        site filed (its folder is in that site's shared folder), else None."""
        registry = self.registry
        if registry is None or not registry.site or case_id is None:
            return None
        case = registry.case(case_id)
        if case is None or case.site == registry.site:
            return None
        return Finding(
            shown,
            "",
            "identity",
            _(
                "case {case_id} is a case of site {site}, not of this site ({here}): the "
                "folder was copied here from site {site}'s shared folder, where its case "
                "folder is kept; move this copy out of the Archive"
            ).format(case_id=case_id, site=case.site, here=registry.site),
        )

    def _whole(self, holders: dict[str, list[str]], chain: ChainCheck) -> CaseCheck:
        found: list[Finding] = []
        if self.registry_problem:
            found.append(Finding("", "", "registry", self.registry_problem))
        for case_id, folders in sorted(holders.items()):
            if len(folders) > 1:
                found.append(
                    Finding(
                        folders[1],
                        "",
                        "identity",
                        _(
                            "{count} folders hold case {case_id}: {folders}; one was copied, or "
                            "the number was given twice after the registry was lost: keep the "
                            "one the registry knows, move the other out of the Archive"
                        ).format(count=len(folders), case_id=case_id, folders=", ".join(folders)),
                    )
                )
        for case_id in self.registry_cases:
            if case_id not in holders:
                found.append(
                    Finding(
                        "",
                        "",
                        "registry",
                        _(
                            "case {case_id} is in the registry but no folder in the Archive "
                            "holds it: its folder was deleted or moved out; restore it from a "
                            "backup"
                        ).format(case_id=case_id),
                    )
                )
        registry = self.registry
        self.chain = chain.fold(
            registry.chain(self.registry_events) if registry is not None else None,
            self.registry_events,
            self.anchor,
        )
        for folder, what in self.chain.problems:
            if folder in self._broken:
                continue  # said once, with the line, by the folder's own check
            found.append(Finding(folder, HISTORY if folder else "", "chain", what))
        if self.chain.anchor_problem is not None:
            found.append(Finding("", "", "anchor", self.chain.anchor_problem))
        return CaseCheck(self.archive, 0, 0, found, whole=True)


def verify_quarter(folder: Path, archive: Path) -> CaseCheck:
    """A sealed quarter's manifest covers every file in it, the case folders included."""
    shown = folder.relative_to(archive).as_posix()
    linked = not_a_folder(folder, archive, shown)
    if linked is not None:
        return CaseCheck(folder, 0, 0, [linked], quarter=True)
    whose = _("the quarter's manifest")
    listed, _present, found, _size = against_manifest(folder, shown, whose, {})
    if listed is None:  # nothing to compare the files with: each would be "unexpected"
        found = [f for f in found if f.kind != "unexpected"]
    return CaseCheck(folder, 0, 0, found, quarter=True)


def verify_case(folder: Path, archive: Path | None = None) -> CaseCheck:
    """The folder against itself: its manifest, its history's chain, its case.json."""
    return check_case(folder, archive)[0]
