"""The quarantine's table: each refused file, from its refusal (recorded in the refusal's
own transaction, with its move) until a person settles it by filing it again."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from filing.records import Quarantined
from filing.registry.store import Store

_SELECT = (
    "SELECT id AS quarantined_id, refused_at, source, kept, note, reasons, case_id, form, "
    "settled_at, settled_by FROM quarantined"
)


class QuarantineRecords(Store):
    def add_quarantined(self, item: Quarantined) -> int:
        row = self.db.execute(
            "INSERT INTO quarantined (refused_at, source, kept, note, reasons, case_id, form, "
            "site) VALUES (:refused_at, :source, :kept, :note, :reasons, :case_id, :form, "
            ":site) RETURNING id",
            {
                **item.to_json(),
                "reasons": json.dumps(list(item.reasons), ensure_ascii=False),
                "site": self.site,
            },
        ).fetchone()
        return int(row[0])

    def quarantined_waiting(self) -> list[Quarantined]:
        """Refused files of this site not yet settled, oldest first."""
        rows = self._select(
            f"{_SELECT} WHERE settled_at IS NULL AND site = ? ORDER BY id", (self.site,)
        )
        return [_quarantined(r) for r in rows]

    def quarantined_waiting_at(self, moment: datetime) -> int:
        """How many refused files were waiting in Quarantine at `moment`: refused before
        it and not settled by then."""
        row = self.db.execute(
            "SELECT count(*) FROM quarantined WHERE site = :site AND refused_at < :at "
            "AND (settled_at IS NULL OR settled_at >= :at)",
            {"at": moment.isoformat(), "site": self.site},
        ).fetchone()
        return int(row[0])

    def settled_by(self, source: str, case_id: str | None, form: str | None) -> list[Quarantined]:
        """The refused files a filing of `source` (its Inbox name) for `case_id` and `form`
        settles: those saved under the same name, and those of the same case and form."""
        rows = self._select(
            f"{_SELECT} WHERE settled_at IS NULL AND site = :site AND (source = :source "
            "OR (case_id = :case_id AND form = :form)) ORDER BY id",
            {"source": source, "case_id": case_id, "form": form, "site": self.site},
        )
        return [_quarantined(r) for r in rows]

    def settled_since(self, item: Quarantined) -> str | None:
        """The name of a form filed since `item` was refused that settles it (the same
        name, or the same case and form), if one was: for a settling cut short."""
        row = self.db.execute(
            "SELECT f.source FROM filings f JOIN cases c ON c.case_id = f.case_id "
            "WHERE c.site = :site AND f.filed_at >= :at AND (f.source = :source "
            "OR (f.case_id = :case_id AND f.form = :form)) ORDER BY f.id LIMIT 1",
            {
                "site": self.site,
                "at": item.refused_at.isoformat(),
                "source": item.source,
                "case_id": item.case_id,
                "form": item.form,
            },
        ).fetchone()
        return str(row[0] or item.source) if row else None

    def settle(self, quarantined_id: int, at: datetime, by: str) -> None:
        self.db.execute(
            "UPDATE quarantined SET settled_at = ?, settled_by = ? WHERE id = ?",
            (at.isoformat(), by, quarantined_id),
        )


def _quarantined(row: dict[str, Any]) -> Quarantined:
    return Quarantined.from_json({**row, "reasons": json.loads(row["reasons"])})
