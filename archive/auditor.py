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
from archive.case_page import case_page
from archive.index_rows import COLUMNS, Row, Rows, by_number, shard_of
from archive.page_words import DEADLINE_STATUS, code, fonts, in_context
from filing.policy import Policy
from filing.registry import Registry
from filing.words import minute
from forms.atomicfile import atomic_write_bytes, read_json, read_small, remove_leftovers
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
        self.pages = self.archive / PAGES
        self.rows = Rows(self.archive, self.policy)
        self.calendar = self.rows.calendar  # one, its holidays filled once for both
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
            self._write_page(self.pages / f"{case_id}.html", case_page(self, case, now))
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
            remove_leftovers(folder)
        head = self.registry.chain_head()[0]  # before the reads, as case_changed
        cases = self.registry.cases()
        for case in cases:
            self._write_page(self.pages / f"{case.case_id}.html", case_page(self, case, now))
        self._rows = {}
        shards: dict[str, dict[str, Row]] = {}
        for case in cases:
            shards.setdefault(shard_of(case.case_id), {})[case.case_id] = self.rows.row(case)
        for shard, rows in sorted(shards.items()):
            self.rows.write(self.pages / DATA / f"{shard}.js", rows, now)
        for old in (self.pages / DATA).glob("*.js"):  # not of a case the registry has
            if old.stem not in shards:
                old.unlink(missing_ok=True)
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
            remove_leftovers(folder)
        try:
            index = read_small(self.archive / INDEX)
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
            data = read_json(self.pages / DATA / WRITTEN)
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
        shards: dict[str, set[str]] = {}
        for case_id in case_ids:
            shards.setdefault(shard_of(case_id), set()).add(case_id)
        # A data file missing, damaged, or not holding its cases (a row deleted or a file
        # cut short by hand) is made again; one the registry has no cases for is removed.
        self._rows = {}
        remade = False
        for shard, ids in sorted(shards.items()):
            rows = index_rows.read(self.pages / DATA / f"{shard}.js")
            if rows is None or set(rows) != ids:
                rows = {c.case_id: self.rows.row(c) for c in self.registry.cases_with_prefix(shard)}
                self.rows.write(self.pages / DATA / f"{shard}.js", rows, now)
                remade = True
        for name in data:
            if name.endswith(".js") and name[:-3] not in shards:
                (self.pages / DATA / name).unlink(missing_ok=True)
                remade = True
        if remade:
            self._write_index(now)
        for case_id in case_ids:
            case = None if f"{case_id}.html" in there else self.registry.case(case_id)
            if case is not None:
                self._write_page(self.pages / f"{case_id}.html", case_page(self, case, now))
                done += 1
        return done

    # -- the parts -----------------------------------------------------------------------

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
        # The data files of the registry's cases: never a file put in the folder by hand.
        shards = sorted({shard_of(c) for c in self.registry.case_ids()}, key=by_number)
        scripts = [f"{quote(PAGES)}/{DATA}/{quote(s)}.js" for s in reversed(shards)]
        # On a registry several sites share, the index links the group's (group_index.py).
        shared = GROUP_INDEX if self.registry.url else ""
        html = index_html(self.policy, now, scripts, group_link=shared)
        self._write_page(self.archive / INDEX, html)


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


def _index_words() -> dict[str, str]:
    """What the index's script writes, in the language in use ({shown}, {total}: numbers)."""
    return {
        "all": _("all"),
        "none": _("(none)"),
        "overdue": _(DEADLINE_STATUS["overdue"]),
        "count": _("{shown} of {total} cases"),
        "reading": _("{total} cases read so far…"),
        "sealed": _("{quarter}, sealed"),
        "nothing": _("No case matches the search and filters."),
    }
