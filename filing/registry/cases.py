"""Cases and what is filed under them: case numbers, cases, filings, issued forms, evidence.

Case numbers are CC-YYYY-NNNN, sequential per year and never reused: a number is taken
inside the transaction that creates its case, and cases cannot be deleted. On a registry
several sites share, the numbering is the group's (one row per year, locked by the
transaction that takes a number until it commits), and each case belongs to the site that
opened it: lists of cases are the site's own unless asked for the whole register. Each record is
written and read as its JSON form (filing/records.py), the columns named as its keys; only
what SQL cannot hold as it is (a dict, a list, a flag) is turned into text or a number.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from filing.records import CASE_FIELDS, Case, Evidence, Filing, Issued
from filing.registry.errors import RegistryError
from filing.registry.store import Store

# The case_id first: the upsert below updates every column after it.
_CASE_COLUMNS = ["case_id", *sorted(CASE_FIELDS - {"case_id"})]
_CASE_SELECT = f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases"  # noqa: S608 - fixed names
_FILING_SELECT = (
    "SELECT case_id, form, version, filed_at, file, sha256, person, fields, source FROM filings"
)
_EVIDENCE_SELECT = "SELECT case_id, file, sha256, filed_at, source FROM evidence"
_ISSUED_SELECT = "SELECT case_id, form, department, file, issued_at, copy, sha256 FROM issued"


def normalised(text: str | None) -> str | None:
    """Text as compared for repeats: case and runs of spaces ignored; empty is no text."""
    if not text:
        return None
    return " ".join(text.casefold().split()) or None


class CaseRecords(Store):
    # -- case numbers --------------------------------------------------------------------

    def next_case_id(self, year: int) -> str:
        """Take the next number of `year`. Call inside the transaction that creates the case."""
        if not self.db.in_transaction:
            raise RegistryError("a case number is taken only inside a transaction")
        row = self.db.execute(
            "INSERT INTO case_numbers (year, last) VALUES (?, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
            (year,),
        ).fetchone()
        return f"CC-{year}-{row[0]:04d}"

    def keep_numbers_above(self, highest: dict[int, int]) -> None:
        """Numbering never goes below the highest case number of each year found in the
        archive: a number once given to a folder is never given again."""
        current = {
            r["year"]: r["last"] for r in self._select("SELECT year, last FROM case_numbers")
        }
        behind = {y: n for y, n in highest.items() if current.get(y, 0) < n}
        if behind:  # only after a registry was lost or rebuilt from an older archive
            with self.transaction():
                for year, number in sorted(behind.items()):
                    self.note_case_number(f"CC-{year}-{number:04d}")

    def note_case_number(self, case_id: str) -> None:
        """Record that `case_id`'s number is taken (rebuilding from the archive). A number
        closedloop never gives (a year outside 1900-2199, more than nine digits) is no
        case of ours and lifts nothing: it would overflow the numbering."""
        _, year, number = case_id.split("-")
        if not (1900 <= int(year) <= 2199 and int(number) < 10**9):
            return
        self.db.execute(
            "INSERT INTO case_numbers (year, last) VALUES (?, ?) "
            "ON CONFLICT (year) DO UPDATE SET last = CASE "
            "WHEN excluded.last > case_numbers.last THEN excluded.last "
            "ELSE case_numbers.last END",
            (int(year), int(number)),
        )

    # -- cases ---------------------------------------------------------------------------

    def save_case(self, case: Case) -> None:
        row = {
            **case.to_json(),
            "site": case.site,
            "parts": json.dumps(case.parts, sort_keys=True),
            "repeats": json.dumps(case.repeats),
            "repeats_total": case.repeats_total,
            "containment_needed": int(case.containment_needed),
            "customer_key": normalised(case.customer),
            "product_key": normalised(case.product),
            "category_key": normalised(case.category),
        }
        columns = [*_CASE_COLUMNS, "customer_key", "product_key", "category_key"]
        marks = ", ".join(f":{c}" for c in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        self.db.execute(
            f"INSERT INTO cases ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608 - fixed column names
            f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
            row,
        )

    def case(self, case_id: str) -> Case | None:
        row = self._select(f"{_CASE_SELECT} WHERE case_id = ?", (case_id,)).fetchone()
        return _case(row) if row else None

    def cases(
        self,
        state: str | None = None,
        opened_since: datetime | None = None,
        *,
        site: str | None = None,
        every_site: bool = False,
    ) -> list[Case]:
        """This site's cases (or `site`'s, or with `every_site` the whole register), by
        number."""
        where: list[str] = []
        args: list[str] = []
        if not every_site:
            where.append("site = ?")
            args.append(self.site if site is None else site)
        if state:
            where.append("state = ?")
            args.append(state)
        if opened_since is not None:
            where.append("opened_at >= ?")  # ISO text sorts as time does
            args.append(opened_since.isoformat())
        sql = _CASE_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_case(r) for r in self._select(sql + " ORDER BY case_id", args)]

    def case_sites(self, opened_by: datetime | None = None) -> list[str]:
        """The sites with a case (opened by `opened_by`), in order. Found by index, a site
        at a time (each step the next site code after the last): never a pass over every
        case."""
        rows = self._select(
            "WITH RECURSIVE s(site) AS (SELECT MIN(site) FROM cases UNION ALL "
            "SELECT (SELECT MIN(site) FROM cases WHERE site > s.site) FROM s "
            "WHERE s.site IS NOT NULL) "
            "SELECT site FROM s WHERE site IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM cases c WHERE c.site = s.site AND c.opened_at <= :by)",
            {"by": (opened_by or datetime.max).isoformat()},
        )
        return sorted(r["site"] for r in rows)

    def cases_in_play(
        self, opened_by: datetime, closed_since: datetime, *, every_site: bool = False
    ) -> list[Case]:
        """This site's cases (or the whole register's) opened by `opened_by` and not closed
        before `closed_since`: the open ones and those closed since, by number. Found by
        index (cases_site_closed), so that what it reads is the open backlog and what closed
        lately, however many cases closed before."""
        sql, args = self._in_play(_CASE_COLUMNS, opened_by, closed_since, every_site)
        return [_case(r) for r in self._select(sql + " ORDER BY case_id", args)] if sql else []

    def latest_filings_in_play(
        self,
        form: str,
        filed_by: datetime,
        opened_by: datetime,
        closed_since: datetime,
        *,
        every_site: bool = False,
    ) -> dict[str, Filing]:
        """The latest version of `form` filed by `filed_by` of each of cases_in_play, by
        case number, read in one query rather than one for each case."""
        sql, args = self._in_play(["case_id"], opened_by, closed_since, every_site)
        if not sql:
            return {}
        rows = self._select(
            f"{_FILING_SELECT} WHERE form = :form AND case_id IN ({sql}) ORDER BY id",
            {**args, "form": form},
        )
        latest: dict[str, Filing] = {}
        for filing in map(_filing, rows):
            # Times compared here, as datetimes, as a case's own filings are.
            found = latest.get(filing.case_id)
            if filing.filed_at <= filed_by and (found is None or filing.version > found.version):
                latest[filing.case_id] = filing
        return latest

    def _in_play(
        self, columns: list[str], opened_by: datetime, closed_since: datetime, every_site: bool
    ) -> tuple[str, dict[str, str]]:
        """The query of cases_in_play's `columns`, and its parameters; "" with no site.
        Two halves, the open cases and those closed since, each a range of the index on
        (site, closed_at): asked as one OR, SQLite would read the site's every case."""
        sites = self.case_sites() if every_site else [self.site]
        if not sites:
            return "", {}
        args = {f"site{i}": site for i, site in enumerate(sites)}
        marks = ", ".join(f":{key}" for key in args)
        args |= {"opened_by": opened_by.isoformat(), "closed_since": closed_since.isoformat()}
        select = f"SELECT {', '.join(columns)} FROM cases WHERE site IN ({marks}) "  # noqa: S608 - fixed names
        return (
            f"{select}AND closed_at IS NULL AND opened_at <= :opened_by UNION ALL "
            f"{select}AND closed_at >= :closed_since AND opened_at <= :opened_by"
        ), args

    def first_opened(self) -> datetime | None:
        """When this site's first case was opened; None with no cases."""
        row = self._select(
            "SELECT MIN(opened_at) AS first FROM cases WHERE site = ?", (self.site,)
        ).fetchone()
        return datetime.fromisoformat(row["first"]) if row and row["first"] else None

    def cases_with_prefix(self, prefix: str, every_site: bool = False) -> list[Case]:
        """This site's cases (or every site's) whose number is `prefix` and two more digits
        (the auditor pages' shards)."""
        rows = (
            self._select(f"{_CASE_SELECT} WHERE case_id LIKE ? || '__' ORDER BY case_id", (prefix,))
            if every_site
            else self._select(
                f"{_CASE_SELECT} WHERE site = ? AND case_id LIKE ? || '__' ORDER BY case_id",
                (self.site, prefix),
            )
        )
        return [_case(r) for r in rows]

    def case_ids(self, every_site: bool = False) -> list[str]:
        """This site's case numbers (or every site's), and nothing else of them (`closedloop
        index` looks for a missing page among 100,000)."""
        rows = (
            self._select("SELECT case_id FROM cases ORDER BY case_id", ())
            if every_site
            else self._select(
                "SELECT case_id FROM cases WHERE site = ? ORDER BY case_id", (self.site,)
            )
        )
        return [str(r["case_id"]) for r in rows]

    def similar_cases(
        self, since: datetime, customer: str | None, product: str | None, category: str | None
    ) -> list[str]:
        """Cases opened since `since` for the same customer and product, or the same
        product and category (text compared without case or extra spaces), found by index:
        a busy year does not load every case for each new one. At every site: a repeat is
        the same complaint wherever it was made."""
        rows = self._select(
            "SELECT case_id FROM cases WHERE product_key = :product AND opened_at >= :since "
            "AND (customer_key = :customer OR category_key = :category) ORDER BY case_id",
            {
                "since": since.isoformat(),
                "customer": normalised(customer),
                "product": normalised(product),
                "category": normalised(category),
            },
        )
        return [r["case_id"] for r in rows]

    def nearest_similar(
        self,
        since: datetime,
        customer: str | None,
        product: str | None,
        category: str | None,
        limit: int,
    ) -> tuple[list[str], int]:
        """The `limit` most recently opened of similar_cases (in case order), and how many
        there are in all: with many complaints about one product a case stores a bounded
        list, and says how many more there were."""
        keys = {
            "since": since.isoformat(),
            "customer": normalised(customer),
            "product": normalised(product),
            "category": normalised(category),
            "limit": limit,
        }
        where = (
            "WHERE product_key = :product AND opened_at >= :since "
            "AND (customer_key = :customer OR category_key = :category)"
        )
        nearest = self._select(
            f"SELECT case_id FROM cases {where} ORDER BY opened_at DESC, case_id DESC "  # noqa: S608
            "LIMIT :limit",
            keys,
        )
        ids = sorted(r["case_id"] for r in nearest)
        if len(ids) < limit:
            return ids, len(ids)
        row = self._select(f"SELECT COUNT(*) AS n FROM cases {where}", keys).fetchone()  # noqa: S608
        return ids, int(row["n"])

    # -- filings -------------------------------------------------------------------------

    def add_filing(self, filing: Filing) -> None:
        self.db.execute(
            "INSERT INTO filings (case_id, form, version, filed_at, file, sha256, person, "
            "fields, source) VALUES (:case_id, :form, :version, :filed_at, :file, :sha256, "
            ":person, :fields, :source)",
            {
                **filing.to_json(),
                "case_id": filing.case_id,
                "fields": json.dumps(filing.fields, sort_keys=True),
            },
        )

    def filings(self, case_id: str) -> list[Filing]:
        rows = self._select(f"{_FILING_SELECT} WHERE case_id = ? ORDER BY id", (case_id,))
        return [_filing(r) for r in rows]

    def latest_filing(self, case_id: str, form: str) -> Filing | None:
        row = self._select(
            f"{_FILING_SELECT} WHERE case_id = ? AND form = ? ORDER BY version DESC LIMIT 1",
            (case_id, form),
        ).fetchone()
        return _filing(row) if row else None

    def filing_by_sha256(self, sha256: str) -> Filing | None:
        row = self._select(
            f"{_FILING_SELECT} WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)
        ).fetchone()
        return _filing(row) if row else None

    # -- evidence ------------------------------------------------------------------------

    def add_evidence(self, evidence: Evidence) -> None:
        self.db.execute(
            "INSERT INTO evidence (case_id, file, sha256, filed_at, source) "
            "VALUES (:case_id, :file, :sha256, :filed_at, :source)",
            {**evidence.to_json(), "case_id": evidence.case_id},
        )

    def evidence(self, case_id: str) -> list[Evidence]:
        rows = self._select(f"{_EVIDENCE_SELECT} WHERE case_id = ? ORDER BY id", (case_id,))
        return [Evidence.from_json(r, r["case_id"]) for r in rows]

    def evidence_by_sha256(self, sha256: str) -> Evidence | None:
        row = self._select(
            f"{_EVIDENCE_SELECT} WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)
        ).fetchone()
        return Evidence.from_json(row, row["case_id"]) if row else None

    # -- issued forms --------------------------------------------------------------------

    def add_issued(self, issued: Issued) -> None:
        self.db.execute(
            "INSERT INTO issued (case_id, form, department, file, issued_at, copy, sha256, "
            "site) VALUES (:case_id, :form, :department, :file, :issued_at, :copy, :sha256, "
            ":site)",
            {**issued.to_json(), "case_id": issued.case_id, "site": self.site},
        )

    def record_issued_copy(self, case_id: str, file: str, copy: str, sha256: str) -> None:
        """The form last issued as `file` was written; its copy in the case folder is `copy`."""
        self.db.execute(
            "UPDATE issued SET copy = ?, sha256 = ? WHERE id = "
            "(SELECT max(id) FROM issued WHERE case_id = ? AND file = ?)",  # a case: one site
            (copy, sha256, case_id, file),
        )

    def issued_as(self, file: str) -> Issued | None:
        """The form last issued as `file` (Outbox/<department>/<name>) by this site, if any."""
        sql = f"{_ISSUED_SELECT} WHERE file = ? AND site = ? ORDER BY id DESC LIMIT 1"
        row = self._select(sql, (file, self.site)).fetchone()
        return Issued.from_json(row, row["case_id"]) if row else None

    def issued(self, case_id: str) -> list[Issued]:
        rows = self._select(f"{_ISSUED_SELECT} WHERE case_id = ? ORDER BY id", (case_id,))
        return [Issued.from_json(r, r["case_id"]) for r in rows]


def _case(row: dict[str, Any]) -> Case:
    return Case.from_json(
        {
            **row,
            "parts": json.loads(row["parts"]),
            "repeats": json.loads(row["repeats"]),
            "containment_needed": bool(row["containment_needed"]),
        }
    )


def _filing(row: dict[str, Any]) -> Filing:
    return Filing.from_json({**row, "fields": json.loads(row["fields"])}, row["case_id"])
