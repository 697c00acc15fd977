"""The registry's schema: recorded migrations, applied in order, each once.

A released migration is never edited; a change to the schema is a new one appended to
MIGRATIONS, so that a registry of any age is brought up to date in place. Each migration
is written for SQLite (MIGRATIONS) and for PostgreSQL (postgres_schema.py): the same
versions and names, recorded the same way, the SQL in each database's words.
"""

from __future__ import annotations

from datetime import datetime

from filing.registry.database import POSTGRESQL
from filing.registry.errors import RegistryError
from filing.registry.postgres_schema import POSTGRES_MIGRATIONS
from filing.registry.store import Store
from language import _

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
    (
        10,
        "quarantined files wait for a person until settled; issued forms found by their file, cases by their state",
        """
        CREATE TABLE quarantined (
            id INTEGER PRIMARY KEY,
            refused_at TEXT NOT NULL,
            source TEXT NOT NULL,
            kept TEXT NOT NULL,
            note TEXT NOT NULL,
            reasons TEXT NOT NULL,
            case_id TEXT,
            form TEXT,
            settled_at TEXT,
            settled_by TEXT
        );
        CREATE INDEX quarantined_waiting ON quarantined(source) WHERE settled_at IS NULL;
        CREATE INDEX issued_file ON issued(file);
        CREATE INDEX cases_state ON cases(state);
        """,
    ),
    (
        11,
        "sites: several shared folders on one registry, each case, plan, refusal, mail and chain link of one",
        """
        ALTER TABLE cases ADD COLUMN site TEXT NOT NULL DEFAULT '';
        ALTER TABLE issued ADD COLUMN site TEXT NOT NULL DEFAULT '';
        ALTER TABLE pending ADD COLUMN site TEXT NOT NULL DEFAULT '';
        ALTER TABLE quarantined ADD COLUMN site TEXT NOT NULL DEFAULT '';
        ALTER TABLE mail ADD COLUMN site TEXT NOT NULL DEFAULT '';
        ALTER TABLE chain ADD COLUMN site TEXT NOT NULL DEFAULT '';
        CREATE INDEX cases_site ON cases(site, state);
        CREATE UNIQUE INDEX mail_site_key ON mail(site, key);
        CREATE TABLE sites (
            site TEXT PRIMARY KEY,
            folder TEXT NOT NULL,
            host TEXT NOT NULL,
            root TEXT NOT NULL,
            joined_at TEXT NOT NULL
        );
        """,
    ),
    (
        12,
        "repeats capped: a case lists its nearest repeats and counts them all",
        "ALTER TABLE cases ADD COLUMN repeats_total INTEGER NOT NULL DEFAULT 0;",
    ),
    (
        13,
        "cases found by when they closed: a report reads its span's cases, not the archive",
        "CREATE INDEX cases_site_closed ON cases(site, closed_at);",
    ),
]


class Schema(Store):
    def migrate(self) -> list[int]:
        """Apply the migrations this registry has not had, each recorded; return their
        versions. On a shared registry, one site at a time (the others wait, then find
        nothing left to do)."""
        with self.db.migrating():
            return self._migrate()

    def _migrate(self) -> list[int]:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row["version"] for row in self._select("SELECT version FROM migrations")}
        newest = max((v for v, _name, _sql in MIGRATIONS), default=0)
        if done and max(done) > newest:
            raise RegistryError(
                _(
                    "{path}: made by a newer closedloop (schema {schema}, this one knows "
                    "{known}); upgrade closedloop"
                ).format(path=self.path, schema=max(done), known=newest)
            )
        applied: list[int] = []
        postgres = self.db.dialect == POSTGRESQL
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction():
                self.db.script(POSTGRES_MIGRATIONS[version] if postgres else sql)
                self.db.execute(
                    "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, datetime.now().isoformat(timespec="seconds")),
                )
            applied.append(version)
        return applied

    def schema_version(self) -> int:
        row = self._select("SELECT max(version) AS version FROM migrations").fetchone()
        return int(row["version"] or 0)

    def _is_registry(self) -> bool:
        """Whether the database holds a registry at all (its table of migrations)."""
        return self.db.has_table("migrations")
