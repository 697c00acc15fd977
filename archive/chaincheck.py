"""The archive-wide chain (filing/chain.py) recomputed from the case folders' history
lines, compared with the registry's and with an anchor, a head written down elsewhere.

The links are gathered one case folder at a time (the history is read there anyway) and
folded once at the end: the cost is one hash an event, whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from filing.chain import GENESIS, event_digest, next_head
from language import _

HEX = frozenset("0123456789abcdef")
UNHASHABLE = "-"  # the digest of a line that cannot be hashed: equal to no SHA-256


def is_head(text: str) -> bool:
    """A chain head as closedloop writes it: 64 lower-case hex digits."""
    return len(text) == 64 and set(text) <= HEX


@dataclass(frozen=True)
class Link:
    seq: int
    digest: str
    folder: str  # the case folder it was read from, relative to Archive/
    case_id: str


def link_of(entry: dict[str, Any], case_id: str, folder: str) -> Link | None:
    """The link a history line gives (None for a line written before the chain)."""
    seq = entry.get("seq")
    if seq is None:
        return None
    try:
        digest = event_digest(
            seq,
            case_id,
            entry.get("at"),  # type: ignore[arg-type]  # as the line has it: any change shows
            entry.get("event"),  # type: ignore[arg-type]
            entry.get("form"),
            entry.get("sha256"),
            entry.get("person"),
            entry.get("detail"),  # type: ignore[arg-type]
        )
    except (TypeError, ValueError, RecursionError):
        # A line from the share that cannot be hashed as an event (a value nested too deep,
        # a number too long) is no event closedloop recorded: it matches none.
        digest = UNHASHABLE
    return Link(seq, digest, folder, case_id)


@dataclass
class ChainReport:
    events: int  # events 1..events come whole from the case folders
    head: str  # the head after them
    problems: list[tuple[str, str]] = field(default_factory=list)  # (folder, what)
    # The anchor is not a head of the chain: what is wrong, apart from the chain's problems
    # (the words are in the language in use; the kind of finding is told by where it is).
    anchor_problem: str | None = None
    anchor_at: int | None = None  # the event whose head is the anchor


class ChainCheck:
    def __init__(self) -> None:
        self.links: dict[int, Link] = {}
        self.twice: list[tuple[Link, Link]] = []

    def add(self, link: Link) -> None:
        first = self.links.get(link.seq)
        if first is None:
            self.links[link.seq] = link
        else:
            self.twice.append((first, link))

    def fold(
        self,
        registry: Iterator[tuple[int, str, str, str]] | None = None,
        registry_events: int = 0,
        anchor: str | None = None,
    ) -> ChainReport:
        """Recompute the chain from event 1 for as long as the folders hold every event;
        compare it, link by link, with the registry's (`registry`: its links up to
        `registry_events`, in order), and look for the anchor among its heads."""
        report = ChainReport(0, GENESIS)
        pairs: dict[tuple[str, str], list[int]] = {}
        for first, second in self.twice:
            pairs.setdefault((first.folder, second.folder), []).append(second.seq)
        for (first_folder, second_folder), seqs in pairs.items():
            report.problems.append(
                (
                    second_folder,
                    (
                        _(
                            "event {events} of the archive chain is also in {folder}: one of "
                            "the two folders was copied (or given a number twice); keep the "
                            "one the registry knows"
                        )
                        if len(seqs) == 1
                        else _(
                            "events {events} of the archive chain are also in {folder}: one of "
                            "the two folders was copied (or given a number twice); keep the "
                            "one the registry knows"
                        )
                    ).format(events=_numbers(seqs), folder=first_folder),
                )
            )
        reg_head = GENESIS
        whole = True  # every event so far is in a folder: the head is known
        missing: list[tuple[int, int, str]] = []  # (first, last, the registry's case or "")
        diverged = broken = False
        expected = 1
        for seq, link, mine in _merged(sorted(self.links.items()), registry or iter(())):
            if seq > expected:  # in no folder, and not in the registry's chain either
                missing.append((expected, seq - 1, ""))
                whole = False
                if registry is not None and expected <= registry_events and not broken:
                    broken = True
                    report.problems.append(("", _registry_lacks(expected)))
            expected = seq + 1
            if link is None:
                missing.append((seq, seq, mine[1] if mine else ""))
                whole = False
            elif whole:
                report.head = next_head(report.head, link.digest)
                report.events = seq
                if anchor is not None and report.head == anchor and report.anchor_at is None:
                    report.anchor_at = seq
            if registry is None or seq > registry_events:
                continue  # recorded after verify began: the registry is not compared
            if mine is None:
                if not broken:
                    broken = True
                    report.problems.append(("", _registry_lacks(seq)))
                continue
            case_id, digest, head = mine[1:]
            if next_head(reg_head, digest) != head and not broken:
                broken = True
                report.problems.append(
                    (
                        "",
                        _(
                            "the registry's chain does not hold together at event {seq} "
                            "({case_id}): its table was edited"
                        ).format(seq=seq, case_id=case_id),
                    )
                )
            reg_head = head
            if (
                link is not None
                and not diverged
                and (
                    link.digest != digest
                    or link.case_id != case_id
                    or (whole and report.head != head)
                )
            ):
                diverged = True
                report.problems.append(
                    (
                        link.folder,
                        _(
                            "event {seq} of the archive chain, in {folder}, is not the one the "
                            "registry recorded for {case_id}: it was changed after it was "
                            "recorded, in the folder or in the registry"
                        ).format(seq=seq, folder=link.folder, case_id=case_id),
                    )
                )
        if registry is not None and expected <= registry_events and not broken:
            report.problems.append(("", _registry_lacks(expected)))
        for start, end, case_ids in _runs(missing):
            report.problems.append(("", _removed(start, end, case_ids)))
        if anchor is not None and report.anchor_at is None:
            report.anchor_problem = _anchor_not_found(anchor, report, missing)
        return report


def _removed(start: int, end: int, case_ids: list[str]) -> str:
    """Events in no case folder's history, and the cases the registry says they were of."""
    span = (
        _("event {start} is").format(start=start)
        if start == end
        else _("events {start} to {end} are").format(start=start, end=end)
    )
    where = _(" (of {cases}, the registry says)").format(cases=", ".join(case_ids))
    return _(
        "{span} in no case folder's history{where}: a case folder, or lines of a history, "
        "were removed; restore them from a backup"
    ).format(span=span, where=where if case_ids else "")


def _anchor_not_found(anchor: str, report: ChainReport, missing: list[tuple[int, int, str]]) -> str:
    said = _(
        "the anchor {anchor} is not a head of the archive chain the case folders give "
        "(events 1 to {events})"
    ).format(anchor=anchor, events=report.events)
    if missing:
        return _(
            "{said}, which breaks at event {seq} (in no case folder) before it reaches the "
            "anchor: the archive is not as it was when the anchor was taken"
        ).format(said=said, seq=missing[0][0])
    return _(
        "{said}: an event recorded before the anchor was taken has been changed, removed or "
        "renumbered since, or the anchor is not from this archive"
    ).format(said=said)


def _numbers(seqs: list[int]) -> str:
    return ", ".join(str(n) for n in seqs[:5]) + (", ..." if len(seqs) > 5 else "")


def _registry_lacks(seq: int) -> str:
    return _("the registry's chain has no event {seq}: its table was edited").format(seq=seq)


def _merged(
    links: list[tuple[int, Link]], registry: Iterator[tuple[int, str, str, str]]
) -> Iterator[tuple[int, Link | None, tuple[int, str, str, str] | None]]:
    """Each sequence number found in the folders or in the registry, in order, with what
    each holds for it. Only the numbers there are visited: a line claiming event 10^12
    costs one step, not 10^12."""
    i = 0
    reg = next(registry, None)
    while i < len(links) or reg is not None:
        mine = links[i][0] if i < len(links) else None
        theirs = reg[0] if reg is not None else None
        seq = min(s for s in (mine, theirs) if s is not None)
        link = links[i][1] if mine == seq else None
        row = reg if theirs == seq else None
        if link is not None:
            i += 1
        if row is not None:
            reg = next(registry, None)
        yield seq, link, row


def _runs(missing: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, list[str]]]:
    """Adjacent stretches of missing events joined: (first, last, the registry's cases)."""
    i = 0
    while i < len(missing):
        j = i
        while j + 1 < len(missing) and missing[j + 1][0] == missing[j][1] + 1:
            j += 1
        cases = sorted({run[2] for run in missing[i : j + 1] if run[2]})
        yield missing[i][0], missing[j][1], cases
        i = j + 1
