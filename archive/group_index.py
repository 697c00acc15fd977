"""The group's index: `Archive/group.html`, every site's cases on a registry several sites
share, beside each site's own index (which links it).

Other sites file into the registry without telling this one, so the index follows the
registry, not this site's filings: at each look it asks which cases have an event after
those it has seen, per site (a site's chain numbers its events in the order they commit),
and rewrites only their rows' data files. What it has seen is kept beside the data files
(`Auditor pages/group/seen.json`); without it, or for a page in another language, the
whole register is written again. Rows are the site index's, with the site; this site's
cases link their pages, another site's case folder is on that site's share.
"""

from __future__ import annotations

import errno
import json
from datetime import datetime
from urllib.parse import quote

from archive import index_rows
from archive.auditor import GENERATOR, GROUP_DATA, GROUP_INDEX, PAGES, AuditorPages, index_html
from archive.index_rows import Row, by_number, shard_of
from filing.records import Case
from forms.atomicfile import atomic_write_bytes, read_json, read_small
from language import current

SEEN = "seen.json"


class GroupIndex:
    def __init__(self, pages: AuditorPages) -> None:
        self.pages = pages
        self.registry = pages.registry
        self.data = pages.pages / GROUP_DATA

    def refresh(self, now: datetime) -> int:
        """Bring the group's index up to what the registry holds; returns the rows
        rewritten."""
        seen = self._seen()
        if seen is None:
            return self.rebuild(now)
        heads, changed = self.registry.changed_since(seen)
        if not changed:
            return 0
        by_shard: dict[str, list[Case]] = {}
        for case_id in changed:
            case = self.registry.case(case_id)
            if case is not None:
                by_shard.setdefault(shard_of(case_id), []).append(case)
        new_shard = False
        for shard, cases in by_shard.items():
            rows = index_rows.read(self.data / f"{shard}.js")
            if rows is None:
                new_shard = True
                cases = self.registry.cases_with_prefix(shard, every_site=True)
                rows = {}
            for case in cases:
                rows[case.case_id] = self._row(case)
            self.pages.rows.write(self.data / f"{shard}.js", rows, now)
        if new_shard:
            self._write_index(now)
        self._write_seen(heads)
        return sum(len(c) for c in by_shard.values())

    def rebuild(self, now: datetime) -> int:
        """The whole register written again (a first look, a lost state, a new language)."""
        heads, _changed = self.registry.changed_since({})  # the heads before the cases:
        cases = self.registry.cases(every_site=True)  # a later event is seen next time
        shards: dict[str, dict[str, Row]] = {}
        for case in cases:
            shards.setdefault(shard_of(case.case_id), {})[case.case_id] = self._row(case)
        self.data.mkdir(parents=True, exist_ok=True)
        if self.data.is_symlink():  # made a link since the folder was checked: not ours
            raise OSError(errno.ELOOP, "a link where the group index's data goes", str(self.data))
        for old in self.data.glob("*.js"):
            if old.stem not in shards:
                old.unlink(missing_ok=True)
        for shard, rows in shards.items():
            self.pages.rows.write(self.data / f"{shard}.js", rows, now)
        self._write_index(now)
        self._write_seen(heads)
        return len(cases)

    # -- the parts -----------------------------------------------------------------------

    def _row(self, case: Case) -> Row:
        return self.pages.rows.row(case, case.site == self.registry.site, case.site)

    def _seen(self) -> dict[str, int] | None:
        """The sites' chain numbers already shown; None when the index must be written
        anew (never written, from another closedloop or in another language)."""
        try:
            page = read_small(self.pages.archive / GROUP_INDEX)
            seen = read_json(self.data / SEEN)
        except (OSError, ValueError):
            return None
        if GENERATOR not in page or f'<html lang="{current()}">' not in page:
            return None
        if not isinstance(seen, dict) or not all(type(v) is int for v in seen.values()):
            return None
        return {str(k): v for k, v in seen.items()}

    def _write_seen(self, heads: dict[str, int]) -> None:
        # After the rows: a stop between them shows those rows again next time, no harm.
        atomic_write_bytes(self.data / SEEN, json.dumps(heads, sort_keys=True).encode(), False)

    def _write_index(self, now: datetime) -> None:
        # The data files of the registry's cases: never a file put in the folder by hand.
        shards = sorted(
            {shard_of(c) for c in self.registry.case_ids(every_site=True)}, key=by_number
        )
        scripts = [f"{quote(PAGES)}/{GROUP_DATA}/{quote(s)}.js" for s in reversed(shards)]
        html = index_html(self.pages.policy, now, scripts, group=True)
        # Its temporary file beside the data files: not among the case folders.
        atomic_write_bytes(self.pages.archive / GROUP_INDEX, html, False, staging=self.data)
