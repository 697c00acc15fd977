"""The case registry: SQLite, schema under recorded migrations.

Case numbers are CC-YYYY-NNNN, sequential per year and never reused: a number is taken
inside the transaction that creates its case, and cases cannot be deleted. History is
append-only; triggers refuse any change to it. The registry is derived state: the archive
can rebuild it (issue 5).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from filing.chain import GENESIS, event_digest, next_head
from filing.errors import FilingError

#: (version, name, SQL). Append only: a released migration is never edited.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "cases, filings, issued forms, history",
        """
        CREATE TABLE case_numbers (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            resolution TEXT,
            customer TEXT, product TEXT, category TEXT, department TEXT,
            opened_at TEXT NOT NULL,
            closed_at TEXT,
            received_at TEXT NOT NULL,
            triaged_at TEXT,
            containment_needed INTEGER NOT NULL DEFAULT 0,
            confirmed_at TEXT, contained_at TEXT, actions_done_on TEXT,
            parts TEXT NOT NULL DEFAULT '{}',
            reopens TEXT REFERENCES cases(case_id),
            reopened_as TEXT REFERENCES cases(case_id),
            repeats TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE filings (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(case_id),
            form TEXT NOT NULL,
            version INTEGER NOT NULL,
            filed_at TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            person TEXT,
            fields TEXT NOT NULL,
            UNIQUE (case_id, form, version)
        );
        CREATE INDEX filings_sha256 ON filings(sha256);
        CREATE TABLE issued (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(case_id),
            form TEXT NOT NULL,
            department TEXT NOT NULL,
            file TEXT NOT NULL,
            issued_at TEXT NOT NULL
        );
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(case_id),
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            form TEXT,
            sha256 TEXT,
            person TEXT,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE TRIGGER history_no_update BEFORE UPDATE ON history
            BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
        CREATE TRIGGER history_no_delete BEFORE DELETE ON history
            BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
        CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
            BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;
        """,
    ),
    (
        2,
        "filings remember the name they had in the Inbox",
        "ALTER TABLE filings ADD COLUMN source TEXT;",
    ),
    (
        3,
        "evidence: photos, PDFs, e-mails filed under a case",
        """
        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(case_id),
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            filed_at TEXT NOT NULL,
            source TEXT
        );
        CREATE INDEX evidence_sha256 ON evidence(sha256);
        """,
    ),
    (
        4,
        "pending: the file moves a committed filing still has to make (the journal)",
        """
        CREATE TABLE pending (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            plan TEXT NOT NULL
        );
        """,
    ),
    (
        5,
        "indexes by case, and compare keys for repeats, so that filing stays fast in a busy year",
        """
        CREATE INDEX filings_case ON filings(case_id);
        CREATE INDEX issued_case ON issued(case_id);
        CREATE INDEX history_case ON history(case_id);
        CREATE INDEX evidence_case ON evidence(case_id);
        ALTER TABLE cases ADD COLUMN customer_key TEXT;
        ALTER TABLE cases ADD COLUMN product_key TEXT;
        ALTER TABLE cases ADD COLUMN category_key TEXT;
        UPDATE cases SET customer_key = norm(customer), product_key = norm(product),
            category_key = norm(category);
        CREATE INDEX cases_product_key ON cases(product_key, opened_at);
        """,
    ),
    (
        6,
        "issued forms keep a copy, with its hash, in the case folder",
        """
        ALTER TABLE issued ADD COLUMN copy TEXT;
        ALTER TABLE issued ADD COLUMN sha256 TEXT;
        """,
    ),
    (
        7,
        "a closed case's closure packet, by its hash",
        "ALTER TABLE cases ADD COLUMN packet_sha256 TEXT;",
    ),
    (
        8,
        "mail: e-mails queued with the filing that causes them, sent and retried afterwards",
        """
        CREATE TABLE mail (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            case_id TEXT REFERENCES cases(case_id),
            to_addr TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            attachment TEXT,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            sent_at TEXT,
            given_up INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX mail_waiting ON mail(next_try_at) WHERE sent_at IS NULL AND given_up = 0;
        """,
    ),
    (
        9,
        "the archive-wide chain: each history event hashed onto the head before it",
        # Events recorded before this migration stay outside the chain: their lines in
        # history.jsonl carry no sequence number, and only their case's chain holds them.
        """
        CREATE TABLE chain (
            seq INTEGER PRIMARY KEY,
            history_id INTEGER NOT NULL UNIQUE REFERENCES history(id),
            digest TEXT NOT NULL,
            head TEXT NOT NULL
        );
        CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
            BEGIN SELECT RAISE(ABORT, 'the archive chain is append-only'); END;
        CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
            BEGIN SELECT RAISE(ABORT, 'the archive chain is append-only'); END;
        """,
    ),
]


class RegistryError(FilingError):
    """The registry file cannot be used."""


class DiskFull(RegistryError):
    """The disk holding the registry is full: nothing was recorded, nothing is broken."""


class RegistryMissing(RegistryError):
    """The registry file is not there (deleted, lost with a disk)."""


def _has_database(path: Path) -> bool:
    try:
        return path.stat().st_size > 0  # SQLite takes an empty file for a new database
    except OSError:
        return False


@dataclass
class Case:
    case_id: str
    state: str
    opened_at: datetime
    received_at: datetime
    resolution: str | None = None
    customer: str | None = None
    product: str | None = None
    category: str | None = None
    department: str | None = None
    closed_at: datetime | None = None
    triaged_at: datetime | None = None
    containment_needed: bool = False
    confirmed_at: datetime | None = None
    contained_at: datetime | None = None
    actions_done_on: date | None = None
    parts: dict[str, str] = field(default_factory=dict)  # part -> "open" | "done"
    reopens: str | None = None
    reopened_as: str | None = None
    repeats: list[str] = field(default_factory=list)
    packet_sha256: str | None = None  # the closure packet in the case folder


# Columns of the cases table: the fields of Case, case_id first.
_CASE_COLUMNS = [f.name for f in dataclasses.fields(Case)]


@dataclass(frozen=True)
class Filing:
    case_id: str
    form: str
    version: int
    filed_at: datetime
    file: str
    sha256: str
    person: str | None
    fields: dict[str, Any]
    source: str | None = None  # the file's name in the Inbox


@dataclass(frozen=True)
class Evidence:
    case_id: str
    file: str  # relative to the case folder: evidence/<name>
    sha256: str
    filed_at: datetime
    source: str | None = None


@dataclass(frozen=True)
class Issued:
    case_id: str
    form: str
    department: str
    file: str  # in the department's outbox
    issued_at: datetime
    copy: str | None = None  # the copy kept in the case folder: issued/<name>
    sha256: str | None = None


@dataclass(frozen=True)
class Event:
    case_id: str
    at: datetime
    event: str
    form: str | None
    sha256: str | None
    person: str | None
    detail: str


@dataclass(frozen=True)
class Mail:
    kind: str  # issued | digest
    key: str  # what it is about: a mail is queued once per key
    case_id: str | None
    to: str  # addresses, comma separated
    subject: str
    body: str
    attachment: str | None  # in the case folder: issued/<name>
    created_at: datetime
    next_try_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    given_up: bool = False
    last_error: str | None = None
    mail_id: int | None = None


_MAIL_COLUMNS = (
    "id, kind, key, case_id, to_addr, subject, body, attachment, created_at, next_try_at, "
    "attempts, sent_at, given_up, last_error"
)


def normalised(text: str | None) -> str | None:
    """Text as compared for repeats: case and runs of spaces ignored; empty is no text."""
    if not text:
        return None
    return " ".join(text.casefold().split()) or None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Registry:
    """One registry file. Use `transaction()` around every change that belongs together."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """Open the registry at `path`; a missing one is made only when `create` (a new
        folder, or `rebuild`): over an archive, an empty registry would number cases anew."""
        self.path = path
        if path.is_dir():
            raise RegistryError(
                f"{path}: this is a folder where the registry file should be; "
                "remove it, then make the registry again with `closedloop rebuild`"
            )
        if not create and not _has_database(path):
            raise RegistryMissing(
                f"{path}: the registry is missing or empty; "
                "make it again from the archive with `closedloop rebuild`"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        # Plans carried out whose pending rows are not yet deleted (see drop_pending).
        self._carried_out: set[int] = set()
        try:
            self.db.create_function("norm", 1, normalised, deterministic=True)
            self.db.execute("PRAGMA foreign_keys = ON")
            # The rollback journal, not WAL: WAL needs shared memory, which network shares
            # (where this folder may live) do not provide.
            self.db.execute("PRAGMA journal_mode = DELETE")
            self.db.execute("PRAGMA synchronous = FULL")
            if not create and not self._is_registry():
                # A database someone put in its place (or an empty one): made into a new
                # registry, it would number cases anew over the archive.
                raise RegistryMissing(
                    f"{path}: this database is not a closedloop registry; "
                    "make the registry again from the archive with `closedloop rebuild`"
                )
            self.migrate()
        except RegistryError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise RegistryError(
                f"{path}: the registry cannot be opened ({exc}); "
                "rebuild it from the archive with `closedloop rebuild`"
            ) from None

    def _is_registry(self) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        ).fetchone()
        return row is not None

    def close(self) -> None:
        if self._carried_out and not self.db.in_transaction:
            # An empty transaction drops them; if it cannot, they are carried out again.
            with contextlib.suppress(sqlite3.Error), self.transaction():
                pass
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply the migrations this file has not had, each recorded; return their versions."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        newest = max((v for v, _, _ in MIGRATIONS), default=0)
        if done and max(done) > newest:
            raise RegistryError(
                f"{self.path}: made by a newer closedloop (schema {max(done)}, this one knows "
                f"{newest}); upgrade closedloop"
            )
        applied: list[int] = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction():
                for statement in _statements(sql):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO migrations VALUES (?, ?, ?)",
                    (version, name, datetime.now().isoformat(timespec="seconds")),
                )
            applied.append(version)
        return applied

    def schema_version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM migrations").fetchone()
        return int(row[0] or 0)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: one writer at a time; everything inside commits or none of it."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        dropped = self._drop_carried_out()
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            # SQLite has already rolled back by itself after some errors (a full disk):
            # a second rollback would hide the real reason behind "no transaction is active".
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._carried_out |= dropped  # their rows are back: drop them next time
            if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
                raise DiskFull(
                    f"{self.path}: the disk is full ({exc}); nothing was recorded. "
                    "Free some space on it; the files wait in the Inbox"
                ) from exc
            raise

    # -- cases --------------------------------------------------------------------------

    def next_case_id(self, year: int) -> str:
        """Take the next number of `year`. Call inside the transaction that creates the case."""
        if not self.db.in_transaction:
            raise RegistryError("a case number is taken only inside a transaction")
        self.db.execute(
            "INSERT INTO case_numbers VALUES (?, 1) "
            "ON CONFLICT(year) DO UPDATE SET last = last + 1",
            (year,),
        )
        (last,) = self.db.execute(
            "SELECT last FROM case_numbers WHERE year = ?", (year,)
        ).fetchone()
        return f"CC-{year}-{last:04d}"

    def keep_numbers_above(self, highest: dict[int, int]) -> None:
        """Numbering never goes below the highest case number of each year found in the
        archive: a number once given to a folder is never given again."""
        current = dict(self.db.execute("SELECT year, last FROM case_numbers").fetchall())
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
            "INSERT INTO case_numbers VALUES (?, ?) "
            "ON CONFLICT(year) DO UPDATE SET last = max(last, excluded.last)",
            (int(year), int(number)),
        )

    def save_case(self, case: Case) -> None:
        row = {
            **{k: getattr(case, k) for k in _CASE_COLUMNS},
            "parts": json.dumps(case.parts, sort_keys=True),
            "repeats": json.dumps(case.repeats),
            "containment_needed": int(case.containment_needed),
            "customer_key": normalised(case.customer),
            "product_key": normalised(case.product),
            "category_key": normalised(case.category),
        }
        for key, value in row.items():
            if isinstance(value, date | datetime):
                row[key] = value.isoformat()
        columns = ", ".join(row)
        marks = ", ".join(f":{c}" for c in row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in list(row)[1:])
        self.db.execute(
            f"INSERT INTO cases ({columns}) VALUES ({marks}) "  # noqa: S608 - fixed column names
            f"ON CONFLICT(case_id) DO UPDATE SET {updates}",
            row,
        )

    def case(self, case_id: str) -> Case | None:
        cur = self.db.execute(
            f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases WHERE case_id = ?",  # noqa: S608
            (case_id,),
        )
        row = cur.fetchone()
        return _case(row) if row else None

    def cases(self, state: str | None = None, opened_since: datetime | None = None) -> list[Case]:
        where: list[str] = []
        args: list[str] = []
        if state:
            where.append("state = ?")
            args.append(state)
        if opened_since is not None:
            where.append("opened_at >= ?")  # ISO text sorts as time does
            args.append(opened_since.isoformat())
        sql = f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_case(r) for r in self.db.execute(sql + " ORDER BY case_id", args)]

    def first_opened(self) -> datetime | None:
        """When the first case was opened; None with no cases."""
        row = self.db.execute("SELECT MIN(opened_at) FROM cases").fetchone()
        return _dt(row[0]) if row else None

    def cases_with_prefix(self, prefix: str) -> list[Case]:
        """Cases whose number is `prefix` and two more digits (the auditor pages' shards)."""
        rows = self.db.execute(
            f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases "  # noqa: S608 - fixed column names
            "WHERE case_id LIKE ? || '__' ORDER BY case_id",
            (prefix,),
        )
        return [_case(r) for r in rows]

    def similar_cases(
        self, since: datetime, customer: str | None, product: str | None, category: str | None
    ) -> list[str]:
        """Cases opened since `since` for the same customer and product, or the same
        product and category (text compared without case or extra spaces), found by index:
        a busy year does not load every case for each new one."""
        rows = self.db.execute(
            "SELECT case_id FROM cases WHERE product_key = :product AND opened_at >= :since "
            "AND (customer_key = :customer OR category_key = :category) ORDER BY case_id",
            {
                "since": since.isoformat(),
                "customer": normalised(customer),
                "product": normalised(product),
                "category": normalised(category),
            },
        )
        return [r[0] for r in rows]

    # -- filings, issued forms, history -------------------------------------------------

    def add_filing(self, filing: Filing) -> None:
        self.db.execute(
            "INSERT INTO filings (case_id, form, version, filed_at, file, sha256, person, fields, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                filing.case_id,
                filing.form,
                filing.version,
                filing.filed_at.isoformat(),
                filing.file,
                filing.sha256,
                filing.person,
                json.dumps(filing.fields, sort_keys=True),
                filing.source,
            ),
        )

    def filings(self, case_id: str) -> list[Filing]:
        rows = self.db.execute(
            "SELECT case_id, form, version, filed_at, file, sha256, person, fields, source FROM filings "
            "WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [_filing(r) for r in rows]

    def latest_filing(self, case_id: str, form: str) -> Filing | None:
        row = self.db.execute(
            "SELECT case_id, form, version, filed_at, file, sha256, person, fields, source FROM filings "
            "WHERE case_id = ? AND form = ? ORDER BY version DESC LIMIT 1",
            (case_id, form),
        ).fetchone()
        return _filing(row) if row else None

    def filing_by_sha256(self, sha256: str) -> Filing | None:
        row = self.db.execute(
            "SELECT case_id, form, version, filed_at, file, sha256, person, fields, source FROM filings "
            "WHERE sha256 = ? ORDER BY id LIMIT 1",
            (sha256,),
        ).fetchone()
        return _filing(row) if row else None

    def add_evidence(self, evidence: Evidence) -> None:
        self.db.execute(
            "INSERT INTO evidence (case_id, file, sha256, filed_at, source) VALUES (?, ?, ?, ?, ?)",
            (
                evidence.case_id,
                evidence.file,
                evidence.sha256,
                evidence.filed_at.isoformat(),
                evidence.source,
            ),
        )

    def evidence(self, case_id: str) -> list[Evidence]:
        rows = self.db.execute(
            "SELECT case_id, file, sha256, filed_at, source FROM evidence WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [Evidence(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4]) for r in rows]

    def evidence_by_sha256(self, sha256: str) -> Evidence | None:
        row = self.db.execute(
            "SELECT case_id, file, sha256, filed_at, source FROM evidence WHERE sha256 = ? "
            "ORDER BY id LIMIT 1",
            (sha256,),
        ).fetchone()
        return (
            Evidence(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4])
            if row
            else None
        )

    # -- the journal: file moves committed with the filing, made after it ----------------

    def add_pending(self, plan: str, now: datetime) -> int:
        """Record a plan of file moves (JSON). Call inside the transaction it belongs to:
        the plan is committed exactly when the filing is."""
        cursor = self.db.execute(
            "INSERT INTO pending (created_at, plan) VALUES (?, ?)", (now.isoformat(), plan)
        )
        return int(cursor.lastrowid or 0)

    def pending(self) -> list[tuple[int, str]]:
        """Plans committed but not yet carried out, oldest first."""
        rows = self.db.execute("SELECT id, plan FROM pending ORDER BY id")
        return [(r[0], r[1]) for r in rows if r[0] not in self._carried_out]

    def pending_since(self) -> list[datetime]:
        """When each plan not yet carried out was committed (a jammed folder when old)."""
        rows = self.db.execute("SELECT id, created_at FROM pending ORDER BY id")
        return [datetime.fromisoformat(r[1]) for r in rows if r[0] not in self._carried_out]

    def drop_pending(self, pending_id: int) -> None:
        """The plan is carried out. Its row goes in the next transaction (or at close),
        not in a commit of its own: a plan is safe to carry out twice, so a stop before
        then costs a repeat at the next start, and each filing saves a synced commit."""
        self._carried_out.add(pending_id)

    def _drop_carried_out(self) -> set[int]:
        dropped, self._carried_out = self._carried_out, set()
        if dropped:
            self.db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in sorted(dropped)])
        return dropped

    def add_issued(self, issued: Issued) -> None:
        self.db.execute(
            "INSERT INTO issued (case_id, form, department, file, issued_at, copy, sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                issued.case_id,
                issued.form,
                issued.department,
                issued.file,
                issued.issued_at.isoformat(),
                issued.copy,
                issued.sha256,
            ),
        )

    def record_issued_copy(self, case_id: str, file: str, copy: str, sha256: str) -> None:
        """The form last issued as `file` was written; its copy in the case folder is `copy`."""
        self.db.execute(
            "UPDATE issued SET copy = ?, sha256 = ? WHERE id = "
            "(SELECT max(id) FROM issued WHERE case_id = ? AND file = ?)",
            (copy, sha256, case_id, file),
        )

    def issued(self, case_id: str) -> list[Issued]:
        rows = self.db.execute(
            "SELECT case_id, form, department, file, issued_at, copy, sha256 FROM issued "
            "WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [
            Issued(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6]) for r in rows
        ]

    # -- mail --------------------------------------------------------------------------------

    def queue_mail(self, mail: Mail) -> bool:
        """Queue a mail unless one with its key was queued before; True when queued."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO mail (kind, key, case_id, to_addr, subject, body, "
            "attachment, created_at, next_try_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                mail.kind,
                mail.key,
                mail.case_id,
                mail.to,
                mail.subject,
                mail.body,
                mail.attachment,
                mail.created_at.isoformat(),
                mail.next_try_at.isoformat(),
                mail.sent_at.isoformat() if mail.sent_at else None,
            ),
        )
        return cur.rowcount == 1

    def mail_queued(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM mail WHERE key = ?", (key,)).fetchone() is not None

    def mail_due(self, now: datetime) -> list[Mail]:
        rows = self.db.execute(
            f"SELECT {_MAIL_COLUMNS} FROM mail WHERE sent_at IS NULL AND given_up = 0 "  # noqa: S608
            "AND next_try_at <= ? ORDER BY id",
            (now.isoformat(),),
        )
        return [_mail(r) for r in rows]

    def mails(self) -> list[Mail]:
        sql = f"SELECT {_MAIL_COLUMNS} FROM mail ORDER BY id"  # noqa: S608 - fixed column names
        return [_mail(r) for r in self.db.execute(sql)]

    def mail_sent(self, mail_id: int, now: datetime) -> None:
        self.db.execute(
            "UPDATE mail SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
            (now.isoformat(), mail_id),
        )

    def mail_retry(self, now: datetime) -> int:
        """Every mail not sent, given up or not, is due again now; how many."""
        cur = self.db.execute(
            "UPDATE mail SET given_up = 0, next_try_at = ? WHERE sent_at IS NULL",
            (now.isoformat(),),
        )
        return cur.rowcount

    def mail_failed(self, mail_id: int, error: str, next_try_at: datetime, give_up: bool) -> None:
        self.db.execute(
            "UPDATE mail SET attempts = attempts + 1, last_error = ?, next_try_at = ?, "
            "given_up = ? WHERE id = ?",
            (error, next_try_at.isoformat(), int(give_up), mail_id),
        )

    def append_history(self, event: Event, chained: bool = True) -> int | None:
        """Record the event and hash it onto the archive-wide chain (one hash, one indexed
        read: the same cost at the millionth event as at the first); its sequence number
        in the chain. `chained=False` only for rebuilding events recorded before the chain
        (their history lines have no sequence number)."""
        with self.transaction():  # the event and its link commit together
            cursor = self.db.execute(
                "INSERT INTO history (case_id, at, event, form, sha256, person, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.case_id,
                    event.at.isoformat(),
                    event.event,
                    event.form,
                    event.sha256,
                    event.person,
                    event.detail,
                ),
            )
            if not chained:
                return None
            seq, head = self.chain_head()
            seq += 1
            digest = event_digest(
                seq,
                event.case_id,
                event.at.isoformat(),
                event.event,
                event.form,
                event.sha256,
                event.person,
                event.detail,
            )
            self.db.execute(
                "INSERT INTO chain (seq, history_id, digest, head) VALUES (?, ?, ?, ?)",
                (seq, cursor.lastrowid, digest, next_head(head, digest)),
            )
            return seq

    def chain_head(self) -> tuple[int, str]:
        """The archive-wide chain's last sequence number and head ((0, GENESIS) before the
        first event). Written down outside the shared folder, the head lets
        `closedloop verify --anchor HEAD` show that no event up to it has changed since."""
        row = self.db.execute("SELECT seq, head FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def chain(self, upto: int) -> Iterator[tuple[int, str, str, str]]:
        """The chain's links up to sequence number `upto`, in order: (seq, case id, digest,
        head). A cursor, not a list: the chain of a large archive is not held in memory."""
        rows = self.db.execute(
            "SELECT c.seq, h.case_id, c.digest, c.head FROM chain c "
            "JOIN history h ON h.id = c.history_id WHERE c.seq <= ? ORDER BY c.seq",
            (upto,),
        )
        for row in rows:
            yield int(row[0]), str(row[1]), str(row[2]), str(row[3])

    def chained_history(self, case_id: str) -> list[tuple[Event, int | None]]:
        """The case's history with each event's sequence number in the archive-wide chain
        (None for events recorded before the chain)."""
        rows = self.db.execute(
            "SELECT h.case_id, h.at, h.event, h.form, h.sha256, h.person, h.detail, c.seq "
            "FROM history h LEFT JOIN chain c ON c.history_id = h.id "
            "WHERE h.case_id = ? ORDER BY h.id",
            (case_id,),
        )
        return [
            (Event(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6]), r[7])
            for r in rows
        ]

    def history(self, case_id: str) -> list[Event]:
        rows = self.db.execute(
            "SELECT case_id, at, event, form, sha256, person, detail FROM history "
            "WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [
            Event(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows
        ]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (trigger bodies keep their inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _case(row: tuple[Any, ...]) -> Case:
    r = dict(zip(_CASE_COLUMNS, row, strict=True))
    opened, received = _dt(r["opened_at"]), _dt(r["received_at"])
    assert opened is not None and received is not None  # NOT NULL columns
    return Case(
        case_id=r["case_id"],
        state=r["state"],
        opened_at=opened,
        received_at=received,
        resolution=r["resolution"],
        customer=r["customer"],
        product=r["product"],
        category=r["category"],
        department=r["department"],
        closed_at=_dt(r["closed_at"]),
        triaged_at=_dt(r["triaged_at"]),
        containment_needed=bool(r["containment_needed"]),
        confirmed_at=_dt(r["confirmed_at"]),
        contained_at=_dt(r["contained_at"]),
        actions_done_on=date.fromisoformat(r["actions_done_on"]) if r["actions_done_on"] else None,
        parts=json.loads(r["parts"]),
        reopens=r["reopens"],
        reopened_as=r["reopened_as"],
        repeats=json.loads(r["repeats"]),
        packet_sha256=r["packet_sha256"],
    )


def _mail(r: tuple[Any, ...]) -> Mail:
    return Mail(
        mail_id=r[0],
        kind=r[1],
        key=r[2],
        case_id=r[3],
        to=r[4],
        subject=r[5],
        body=r[6],
        attachment=r[7],
        created_at=datetime.fromisoformat(r[8]),
        next_try_at=datetime.fromisoformat(r[9]),
        attempts=r[10],
        sent_at=_dt(r[11]),
        given_up=bool(r[12]),
        last_error=r[13],
    )


def _filing(r: tuple[Any, ...]) -> Filing:
    return Filing(
        r[0],
        r[1],
        int(r[2]),
        datetime.fromisoformat(r[3]),
        r[4],
        r[5],
        r[6],
        json.loads(r[7]),
        r[8],
    )
