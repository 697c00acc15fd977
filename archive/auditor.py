"""The auditor's browser: `Archive/index.html` and one page per case, opened straight from
the folder (file://, no server, no network).

- The index is a shell; the cases it lists come from small data files, one per hundred
  case numbers (`Auditor pages/data/CC-2026-00.js`), loaded with <script> tags (browsers
  refuse to fetch files from file://, but do run scripts).
- When a case changes, its page and its data file are rewritten, and the index only when
  a new data file appears: one change costs the same with 10 cases or 10,000.
- Deadline states are worked out in the browser from due and met times, so that a page
  written in November still shows a case as overdue in December.
- People read words, not ids: a row keeps the ids (the index filters by them, so an
  address like `index.html?state=open` keeps working) and the words shown beside them
  (`shown`: category label, outbox name, state and resolution in words, filing/words.py).
- Each row says when it was written: the index shows the latest, so its "Written" time
  is the last write, though the index itself is only written when a data file is new.
- The pages are in the language in use (App's after-effects run inside the folder's
  language): `<html lang>`, fonts that show it, every word; the data files keep the ids and
  ISO times the scripts work with, beside the words shown. Pages written in another
  language (the settings changed) are all written anew at the next start.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from archive import index_rows
from archive.casefolder import case_folder
from archive.index_rows import COLUMNS, Row, Rows, by_number, shard_of
from archive.packet import PACKET
from archive.page_words import DEADLINE_STATUS, anchor, code, filed_form, fonts, in_context
from archive.timeline import timeline
from filing.calendar import WorkingCalendar
from filing.policy import Policy
from filing.records import Case
from filing.registry import Registry
from filing.status import case_deadlines
from filing.words import (
    and_more,
    category_label,
    day_or_minute,
    deadline_words,
    department_name,
    form_title,
    minute,
    resolution_words,
    state_words,
)
from forms.atomicfile import atomic_write_bytes
from language import _, current
from templates import render

PAGES = "Auditor pages"
INDEX = "index.html"
#: Every site's cases, beside each site's index on a registry several share (group_index.py),
#: its data files in their folder under the pages'.
GROUP_INDEX = "group.html"
GROUP_DATA = "group"
# Raised when the index shell's template or the rows' shape changes, so that folders made
# before have their pages written anew at the next start (2: the link to Reports/; 3: rows
# with the words shown, the quarter a case closed in, the time each was written; 4: pages in
# the folder's language, rows with the times in words and when each was written as ISO; 5:
# compact rows, newest first, a page of them at a time: index_rows.py).
GENERATOR = "closedloop auditor index 5"
DATA = "data"
#: Data files whose rows are kept in memory between changes (the latest used).
KEPT_SHARDS = 16
#: In the data folder: the chain event the pages were last brought up to (refresh_stale).
WRITTEN = "written.json"


@dataclass
class AuditorPages:
    archive: Path
    registry: Registry
    policy: Policy

    def __post_init__(self) -> None:
        self.calendar = WorkingCalendar(self.policy.calendar)
        self.pages = self.archive / PAGES
        self.rows = Rows(self.archive, self.policy)
        # Rows of the data files, by file, then case: a change recomputes one row, not 100.
        self._rows: dict[str, dict[str, Row]] = {}
        # The pages this run wrote since they were last brought up to the registry, with
        # the chain's head when each was written (refresh_stale does not write them again).
        self._written: dict[str, int] = {}

    # -- what callers use --------------------------------------------------------------

    def case_changed(self, case_id: str, now: datetime) -> None:
        """Rewrite the case's page and its data file (and the index if the file is new)."""
        self.cases_changed([case_id], now)

    def cases_changed(self, case_ids: list[str], now: datetime) -> None:
        """Rewrite the cases' pages, and each of their data files once (a start that finds
        thousands changed by another process writes a data file once, not a hundred
        times)."""
        # The chain's head before the reads: every event of the cases up to it is in the page.
        head = self.registry.chain_head()[0]
        touched: dict[str, dict[str, Row]] = {}
        new_shard = False
        for case_id in case_ids:
            self._written[case_id] = head
            case = self.registry.case(case_id)
            if case is None:
                continue
            self._write_page(self.pages / f"{case_id}.html", self._case_page(case, now))
            shard = shard_of(case_id)
            if shard not in touched:
                new_shard = new_shard or not (self.pages / DATA / f"{shard}.js").exists()
                touched[shard] = self._shard_rows(shard)
            touched[shard][case_id] = self.rows.row(case)
        for shard, rows in touched.items():
            self.rows.write(self.pages / DATA / f"{shard}.js", rows, now)
        if new_shard or not (self.archive / INDEX).exists():
            self._write_index(now)

    def rebuild_all(self, now: datetime) -> int:
        # A stopped write's temporary file, where a closedloop before 5 left them too.
        for folder in (self.archive, self.pages, self.pages / DATA, self.pages / GROUP_DATA):
            for leftover in folder.glob(".*.part"):
                leftover.unlink(missing_ok=True)
        head = self.registry.chain_head()[0]  # before the reads, as case_changed
        cases = self.registry.cases()
        for case in cases:
            self._write_page(self.pages / f"{case.case_id}.html", self._case_page(case, now))
        self._rows = {}
        shards: dict[str, dict[str, Row]] = {}
        for case in cases:
            shards.setdefault(shard_of(case.case_id), {})[case.case_id] = self.rows.row(case)
        for shard, rows in sorted(shards.items()):
            self.rows.write(self.pages / DATA / f"{shard}.js", rows, now)
        self._write_index(now)
        self._write_seen(head)
        self._written = {}
        return len(cases)

    def refresh_stale(self, now: datetime) -> int:
        """Bring the pages up to the registry, at a start and at each look: the cases with
        an event after the one the pages were last brought up to (a stop between a filing
        and its page; a change made by another process) are written again, unless this
        run wrote them since; a page's temporary file a stop left behind is removed. What
        it costs follows what changed, not the size of the archive."""
        for folder in (self.pages / DATA, self.pages / GROUP_DATA):
            for leftover in folder.glob(".*.part"):
                leftover.unlink(missing_ok=True)
        try:
            index = (self.archive / INDEX).read_text(encoding="utf-8")
        except OSError:
            index = ""
        # Never written, by an older closedloop (its rows are older too), in a language the
        # folder no longer speaks, or before the folder joined a shared registry (the index
        # links the group's): every page is written anew. The record of what the pages are
        # up to says all four, so an index deleted by hand is only written again.
        seen = self._seen()
        if seen is None:
            return self.rebuild_all(now)
        if not index:
            self._write_index(now)
        elif (
            GENERATOR not in index
            or f'<html lang="{current()}">' not in index
            or (f'href="{GROUP_INDEX}"' in index) != bool(self.registry.url)
        ):
            return self.rebuild_all(now)
        head, changed = self.registry.changed_after(seen)
        behind = [c for c, last in sorted(changed.items()) if self._written.get(c, -1) < last]
        self.cases_changed(behind, now)
        done = len(behind)
        if head != seen:
            self._write_seen(head)
        self._written = {}
        return done

    def _seen(self) -> int | None:
        """The chain event the pages were last brought up to; None when unknown (the
        pages were never written, or by another closedloop, in another language, or for
        a folder on a registry of its own that has since joined a shared one)."""
        try:
            data = json.loads((self.pages / DATA / WRITTEN).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data != {**data, **self._written_as()}:
            return None
        seq = data.get("seq")
        return seq if type(seq) is int else None

    def _written_as(self) -> dict[str, Any]:
        """What pages written now are written for: their record says it (`_seen`)."""
        return {
            "site": self.registry.site,
            "generator": GENERATOR,
            "lang": current(),
            "shared": bool(self.registry.url),
        }

    def _write_seen(self, head: int) -> None:
        record = {**self._written_as(), "seq": head}
        # After the pages it covers; not synced, as they are not (`closedloop index` makes
        # everything again).
        atomic_write_bytes(self.pages / DATA / WRITTEN, json.dumps(record).encode(), False)

    def restore(self, now: datetime) -> int:
        """`closedloop index`: the pages brought up to the registry as at a start, and a
        case page or data file that is missing (deleted by hand, or a restore from an
        incomplete copy) written again; what is there and up to date is left as it is.
        The cases written are counted."""
        done = self.refresh_stale(now)
        there = {e.name for e in os.scandir(self.pages)}
        data = {e.name for e in os.scandir(self.pages / DATA)}
        case_ids = self.registry.case_ids()
        shards = {shard_of(case_id) for case_id in case_ids}
        missing = sorted(s for s in shards if f"{s}.js" not in data)
        for shard in missing:  # made from the registry, the file being gone
            self.rows.write(self.pages / DATA / f"{shard}.js", self._shard_rows(shard), now)
        if missing:
            self._write_index(now)
        for case_id in case_ids:
            case = None if f"{case_id}.html" in there else self.registry.case(case_id)
            if case is not None:
                self._write_page(self.pages / f"{case_id}.html", self._case_page(case, now))
                done += 1
        return done

    # -- the parts -----------------------------------------------------------------------

    def facts(self, case: Case) -> dict[str, Any]:
        """What the case's page says of it, in words beside the ids."""
        quarter, sealed = self.rows.quarter(case)
        return {
            "id": case.case_id,
            "customer": case.customer or "",
            "product": case.product or "",
            "state": case.state,
            "resolution": case.resolution or "",
            "quarter": quarter,
            "sealed": sealed,
            "shown": {
                "category": category_label(case.category),
                "state": state_words(case.state),
                "resolution": resolution_words(case.resolution),
                "department": department_name(self.policy.outboxes, case.department),
                "opened": minute(case.opened_at),
                "closed": minute(case.closed_at),
            },
        }

    def _shard_rows(self, shard: str) -> dict[str, Row]:
        """The rows of a data file: kept from earlier, or read back from the file, or made."""
        rows = self._rows.pop(shard, None)
        if rows is None:
            rows = index_rows.read(self.pages / DATA / f"{shard}.js")
            if rows is None:
                rows = {c.case_id: self.rows.row(c) for c in self.registry.cases_with_prefix(shard)}
        # Kept most recent last, and only the last few: filings go to the newest files, and
        # a service running for years must not come to hold every row of the archive.
        self._rows[shard] = rows
        while len(self._rows) > KEPT_SHARDS:
            del self._rows[next(iter(self._rows))]
        return rows

    def _write_page(self, path: Path, html: bytes) -> None:
        # Not synced: derived, made again from the registry when lost. Its temporary file
        # is in the data folder, so that a stopped write's is looked for among a thousand
        # files at a start, not among the pages or the case folders.
        atomic_write_bytes(path, html, False, staging=self.pages / DATA)

    def _write_index(self, now: datetime) -> None:
        shards = sorted((p.stem for p in (self.pages / DATA).glob("*.js")), key=by_number)
        scripts = [f"{quote(PAGES)}/{DATA}/{quote(s)}.js" for s in reversed(shards)]
        # On a registry several sites share, the index links the group's (group_index.py).
        shared = GROUP_INDEX if self.registry.url else ""
        html = index_html(self.policy, now, scripts, group_link=shared)
        self._write_page(self.archive / INDEX, html)

    def _case_page(self, case: Case, now: datetime) -> bytes:
        folder = case_folder(self.archive, case.case_id, case.customer)
        base = "../" + quote(folder.relative_to(self.archive).as_posix()) + "/"

        def link(file: str) -> str:
            return base + quote(file)

        outboxes = self.policy.outboxes
        packet = PACKET.format(case_id=case.case_id) if case.packet_sha256 else ""
        history = self.registry.history(case.case_id)
        documents = [
            *(
                _document(
                    filed_form(f.form, f.version),
                    f.file,
                    link(f.file),
                    f.sha256,
                    f.filed_at,
                    f.person,
                )
                for f in self.registry.filings(case.case_id)
            ),
            *(
                _document(
                    _("{form}, issued to {department}").format(
                        form=form_title(i.form),
                        department=department_name(outboxes, i.department),
                    ),
                    i.copy or i.file,
                    link(i.copy) if i.copy else "",
                    i.sha256,
                    i.issued_at,
                )
                for i in self.registry.issued(case.case_id)
            ),
            *(
                _document(_("Evidence"), e.file, link(e.file), e.sha256, e.filed_at)
                for e in self.registry.evidence(case.case_id)
            ),
        ]
        if packet:
            made = [e.at for e in history if e.event == "closure packet"]
            documents.append(
                _document(
                    _("Closure packet: the cover, every form, the originals attached"),
                    packet,
                    link(packet),
                    case.packet_sha256,
                    made[-1] if made else now,
                )
            )
        html = render(
            "auditor_case.html",
            lang=current(),
            fonts=fonts(screen=True),
            c=in_context,
            anchor=anchor,
            case=self.facts(case),
            deadlines=[
                {
                    "name": deadline_words(d.name),
                    "due_at": d.due.isoformat(timespec="minutes"),
                    "met_at": d.met_at.isoformat(timespec="minutes") if d.met_at else "",
                    "due": minute(d.due),
                    "met": day_or_minute(d.met_at),
                }
                for d in case_deadlines(case, self.policy, self.calendar)
            ],
            links={
                "reopens": case.reopens,
                "reopened_as": case.reopened_as,
                "repeats": case.repeats,
                "more": and_more(case.repeats_total - len(case.repeats)),
            },
            history=timeline(history, outboxes),
            documents=documents,
            packet=link(packet) if packet else "",
            folder=link(""),
            manifest=link("manifest.sha256"),
            written=minute(now),
            status=_status_words(),
        )
        return html.encode("utf-8")


def index_html(
    policy: Policy, now: datetime, scripts: list[str], *, group_link: str = "", group: bool = False
) -> bytes:
    """An index page of the Archive: this site's (linking the group's as `group_link`), or
    with `group` every site's register, a site column, pages linked where they are here."""
    html = render(
        "auditor_index.html",
        lang=current(),
        fonts=fonts(screen=True),
        c=in_context,
        generator=GENERATOR,
        scripts=scripts,
        columns={name: place for place, name in enumerate(COLUMNS)},
        page_folder=f"{quote(PAGES)}/",
        reports=f"../{quote(policy.folders.reports)}/index.html",
        # The last write's time: the script puts a later data file's in its place.
        written_span=Markup('<span id="written" data-at="{}">{}</span>').format(
            now.isoformat(timespec="seconds"), minute(now)
        ),
        code=code,
        words=_index_words(),
        group=group,
        group_link=group_link,
        site_index=INDEX,
    )
    return html.encode("utf-8")


# A case page shows records as a person reads them: times to the minute, nothing as None.


def _document(
    title: str,
    file: str,
    href: str,
    sha256: str | None,
    at: datetime,
    who: str | None = None,
) -> dict[str, str]:
    """A row of the page's documents: a filed original, an issued form or evidence."""
    return {
        "title": title,
        "file": file,
        "href": href,
        "sha256": sha256 or "",
        "at": minute(at),
        "who": who or "",
    }


def _status_words() -> dict[str, str]:
    """A deadline's status by its id, for the pages' scripts (they work it out as you look)."""
    return {status: _(words) for status, words in DEADLINE_STATUS.items()}


def _index_words() -> dict[str, str]:
    """What the index's script writes, in the language in use ({shown}, {total}: numbers)."""
    return {
        "all": _("all"),
        "none": _("(none)"),
        "overdue": _(DEADLINE_STATUS["overdue"]),
        "count": _("{shown} of {total} cases"),
        "reading": _("{total} cases read so far…"),
        "sealed": _("{quarter}, sealed"),
    }
