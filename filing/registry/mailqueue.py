"""The mail queue: e-mails queued in the transaction of the filing that causes them, sent
and retried afterwards (mail/compose.py, mail/send.py), each queued once per key. Each
site sends its own (its attachments are in its folder, its mail server in its settings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from filing.records import Mail
from filing.registry.store import Store

_MAIL_SELECT = (
    "SELECT id, kind, key, case_id, to_addr, subject, body, attachment, created_at, "
    "next_try_at, attempts, sent_at, given_up, last_error FROM mail"
)


class MailQueue(Store):
    def queue_mail(self, mail: Mail) -> bool:
        """Queue a mail unless one with its key was queued before; True when queued."""
        cur = self.db.execute(
            "INSERT INTO mail (kind, key, case_id, to_addr, subject, body, attachment, "
            "created_at, next_try_at, sent_at, site) VALUES (:kind, :key, :case_id, :to_addr, "
            ":subject, :body, :attachment, :created_at, :next_try_at, :sent_at, :site) "
            "ON CONFLICT DO NOTHING",
            {**mail.to_json(), "to_addr": mail.to, "site": self.site},
        )
        return cur.rowcount == 1

    def mail_queued(self, key: str) -> bool:
        row = self.db.execute("SELECT 1 FROM mail WHERE site = ? AND key = ?", (self.site, key))
        return row.fetchone() is not None

    def mail_due(self, now: datetime) -> list[Mail]:
        rows = self._select(
            f"{_MAIL_SELECT} WHERE site = ? AND sent_at IS NULL AND given_up = 0 "
            "AND next_try_at <= ? ORDER BY id",
            (self.site, now.isoformat()),
        )
        return [_mail(r) for r in rows]

    def mails(self) -> list[Mail]:
        rows = self._select(f"{_MAIL_SELECT} WHERE site = ? ORDER BY id", (self.site,))
        return [_mail(r) for r in rows]

    def mail_sent(self, mail_id: int, now: datetime) -> None:
        self.db.execute(
            "UPDATE mail SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
            (now.isoformat(), mail_id),
        )

    def mail_retry(self, now: datetime) -> int:
        """Every mail not sent, given up or not, is due again now; how many."""
        cur = self.db.execute(
            "UPDATE mail SET given_up = 0, next_try_at = ? WHERE site = ? AND sent_at IS NULL",
            (now.isoformat(), self.site),
        )
        return cur.rowcount

    def mail_failed(self, mail_id: int, error: str, next_try_at: datetime, give_up: bool) -> None:
        self.db.execute(
            "UPDATE mail SET attempts = attempts + 1, last_error = ?, next_try_at = ?, "
            "given_up = ? WHERE id = ?",
            (error, next_try_at.isoformat(), int(give_up), mail_id),
        )


def _mail(row: dict[str, Any]) -> Mail:
    """The columns named otherwise than the record's keys (`to` and `id` are SQL words)."""
    return Mail.from_json({**row, "to": row["to_addr"], "mail_id": row["id"]})
