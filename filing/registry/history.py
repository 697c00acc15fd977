"""Each case's history, append-only (triggers refuse any change to it), and the archive-wide
chain every event is hashed onto as it is recorded (filing/chain.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from filing.chain import GENESIS, event_digest, next_head
from filing.records import Event
from filing.registry.store import Store

# Named with AS: a result column's name is only sure when given.
_EVENT_COLUMNS = ", ".join(
    f"h.{c} AS {c}" for c in ("case_id", "at", "event", "form", "sha256", "person", "detail")
)


class CaseHistory(Store):
    def append_history(self, event: Event, chained: bool = True) -> int | None:
        """Record the event and hash it onto the archive-wide chain (one hash, one indexed
        read: the same cost at the millionth event as at the first); its sequence number
        in the chain. `chained=False` only for rebuilding events recorded before the chain
        (their history lines have no sequence number)."""
        line = event.to_json()
        with self.transaction():  # the event and its link commit together
            history_id = self.db.execute(
                "INSERT INTO history (case_id, at, event, form, sha256, person, detail) "
                "VALUES (:case_id, :at, :event, :form, :sha256, :person, :detail) RETURNING id",
                {**line, "case_id": event.case_id},
            ).fetchone()[0]
            if not chained:
                return None
            seq, head = self.chain_head()
            seq += 1
            # The event as its history line shows it: the chain can be recomputed from
            # the case folders alone.
            digest = event_digest(
                seq,
                event.case_id,
                line["at"],
                line["event"],
                line["form"],
                line["sha256"],
                line["person"],
                line["detail"],
            )
            self.db.execute(
                "INSERT INTO chain (site, seq, history_id, digest, head) VALUES (?, ?, ?, ?, ?)",
                (self.site, seq, history_id, digest, next_head(head, digest)),
            )
            return seq

    def chain_head(self) -> tuple[int, str]:
        """The archive-wide chain's last sequence number and head ((0, GENESIS) before the
        first event). Written down outside the shared folder, the head lets
        `closedloop verify --anchor HEAD` show that no event up to it has changed since.
        Each site has its chain (its archive holds its events, and only they can be
        recomputed from its case folders)."""
        row = self._select(
            "SELECT seq, head FROM chain WHERE site = ? ORDER BY seq DESC LIMIT 1", (self.site,)
        ).fetchone()
        return (int(row["seq"]), str(row["head"])) if row else (0, GENESIS)

    def changed_since(self, seen: dict[str, int]) -> tuple[dict[str, int], set[str]]:
        """Each site's chain head now (its last sequence number), and the cases with an
        event after `seen` (site -> sequence number seen)."""
        sites = [str(r["site"]) for r in self._select("SELECT site FROM sites ORDER BY site")]
        heads: dict[str, int] = {}
        changed: set[str] = set()
        for site in sites:
            heads[site], last = self.changed_after(seen.get(site, 0), site)
            changed.update(last)
        return heads, changed

    def changed_after(self, seq: int, site: str | None = None) -> tuple[int, dict[str, int]]:
        """The chain head of this site (or `site`) now, and each case with an event after
        sequence number `seq`, with its last event's number. A site's events are chained
        in the order its transactions commit (one at a time: the site's lock), so nothing
        committed later can carry a number already seen; the head is read first, so an
        event committed meanwhile is listed now and again next time, never missed."""
        site = self.site if site is None else site
        row = self._select(
            "SELECT seq FROM chain WHERE site = ? ORDER BY seq DESC LIMIT 1", (site,)
        ).fetchone()
        head = int(row["seq"]) if row else 0
        if head <= seq:
            return head, {}
        rows = self._select(
            "SELECT h.case_id AS case_id, MAX(c.seq) AS last FROM chain c "
            "JOIN history h ON h.id = c.history_id WHERE c.site = ? AND c.seq > ? "
            "GROUP BY h.case_id",
            (site, seq),
        )
        return head, {str(r["case_id"]): int(r["last"]) for r in rows}

    def chain(self, upto: int) -> Iterator[tuple[int, str, str, str]]:
        """The chain's links up to sequence number `upto`, in order: (seq, case id, digest,
        head). A cursor, not a list: the chain of a large archive is not held in memory."""
        rows = self._select(
            "SELECT c.seq AS seq, h.case_id AS case_id, c.digest AS digest, c.head AS head "
            "FROM chain c "
            "JOIN history h ON h.id = c.history_id WHERE c.site = ? AND c.seq <= ? "
            "ORDER BY c.seq",
            (self.site, upto),
        )
        for row in rows:
            yield int(row["seq"]), str(row["case_id"]), str(row["digest"]), str(row["head"])

    def chained_history(self, case_id: str) -> list[tuple[Event, int | None]]:
        """The case's history with each event's sequence number in the archive-wide chain
        (None for events recorded before the chain)."""
        rows = self._select(
            f"SELECT {_EVENT_COLUMNS}, c.seq AS seq FROM history h "  # noqa: S608 - fixed column names
            "LEFT JOIN chain c ON c.history_id = h.id WHERE h.case_id = ? ORDER BY h.id",
            (case_id,),
        )
        return [(_event(r), r["seq"]) for r in rows]

    def history(self, case_id: str) -> list[Event]:
        rows = self._select(
            f"SELECT {_EVENT_COLUMNS} FROM history h "  # noqa: S608 - fixed column names
            "WHERE h.case_id = ? ORDER BY h.id",
            (case_id,),
        )
        return [_event(r) for r in rows]


def _event(row: dict[str, Any]) -> Event:
    return Event.from_json(row, row["case_id"])
