"""The journal's table: the file moves a committed filing still has to make
(archive/journal.py), recorded in the filing's own transaction."""

from __future__ import annotations

from datetime import datetime

from filing.registry.store import Store


class PendingPlans(Store):
    def add_pending(self, plan: str, now: datetime) -> int:
        """Record a plan of file moves (JSON). Call inside the transaction it belongs to:
        the plan is committed exactly when the filing is."""
        row = self.db.execute(
            "INSERT INTO pending (created_at, plan, site) VALUES (?, ?, ?) RETURNING id",
            (now.isoformat(), plan, self.site),
        ).fetchone()
        return int(row[0])

    def pending(self) -> list[tuple[int, str]]:
        """Plans this site committed but has not yet carried out, oldest first (another
        site's plans move files in its own folder)."""
        rows = self._select("SELECT id, plan FROM pending WHERE site = ? ORDER BY id", (self.site,))
        return [(r["id"], r["plan"]) for r in rows if r["id"] not in self._carried_out]

    def pending_since(self) -> list[datetime]:
        """When each plan not yet carried out was committed (a jammed folder when old)."""
        rows = self._select(
            "SELECT id, created_at FROM pending WHERE site = ? ORDER BY id", (self.site,)
        )
        return [
            datetime.fromisoformat(r["created_at"])
            for r in rows
            if r["id"] not in self._carried_out
        ]

    def drop_pending(self, pending_id: int) -> None:
        """The plan is carried out. Its row goes in the next transaction (or at close),
        not in a commit of its own: a plan is safe to carry out twice, so a stop before
        then costs a repeat at the next start, and each filing saves a synced commit."""
        self._carried_out.add(pending_id)
