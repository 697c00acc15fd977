"""The sites of a shared registry: each site code is one shared folder's, recorded when the
folder first opens the registry, so that two folders given the same code by mistake are
told apart instead of quietly filing as one site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from filing.registry.store import Store

#: What a site has on the registry besides its entry in `sites`: its cases, the forms
#: issued to it, its journal plans, its quarantine, its mail and its history chain.
_HOLDINGS = """
    SELECT 'cases' AS held, COUNT(*) AS n FROM cases WHERE site = ?
    UNION ALL SELECT 'issued', COUNT(*) FROM issued WHERE site = ?
    UNION ALL SELECT 'pending', COUNT(*) FROM pending WHERE site = ?
    UNION ALL SELECT 'quarantined', COUNT(*) FROM quarantined WHERE site = ?
    UNION ALL SELECT 'mail', COUNT(*) FROM mail WHERE site = ?
    UNION ALL SELECT 'chain', COUNT(*) FROM chain WHERE site = ?
"""


@dataclass(frozen=True)
class Site:
    site: str
    folder: str  # the folder's own identity (.closedloop/folder-id), not its path
    host: str
    root: str
    joined_at: str


class SiteRecords(Store):
    def site_record(self, site: str) -> Site | None:
        row = self._select(
            "SELECT site, folder, host, root, joined_at FROM sites WHERE site = ?", (site,)
        ).fetchone()
        return Site(**row) if row else None

    def sites(self) -> list[Site]:
        rows = self._select("SELECT site, folder, host, root, joined_at FROM sites ORDER BY site")
        return [Site(**r) for r in rows]

    def join(self, folder: str, host: str, root: str, now: datetime) -> Site:
        """Record this site as the folder `folder` (first come: a code already taken by
        another folder stays that folder's); the site's record as it now stands."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO sites (site, folder, host, root, joined_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (site) DO NOTHING",
                (self.site, folder, host, root, now.isoformat(timespec="seconds")),
            )
            # Where the folder is now (a share moved to another server keeps its identity).
            self.db.execute(
                "UPDATE sites SET host = ?, root = ? WHERE site = ? AND folder = ?",
                (host, root, self.site, folder),
            )
        record = self.site_record(self.site)
        assert record is not None
        return record

    def site_holdings(self, site: str) -> dict[str, int]:
        """The rows each table holds of site `site`, by table (those with none left out)."""
        rows = self._select(_HOLDINGS, (site,) * _HOLDINGS.count("?"))
        return {str(r["held"]): int(r["n"]) for r in rows if r["n"]}

    def retire(self, site: str) -> dict[str, int]:
        """Take site `site` off the register when nothing on the registry is its (a code
        given by mistake, a folder that never filed): {} once done. Otherwise nothing is
        changed and the answer is what it still holds (site_holdings): a site's cases are
        the group's record and stay with it. Taken under that site's own lock, so none of
        its writers files meanwhile."""
        self.db.begin(site)
        try:
            held = self.site_holdings(site)
            if not held:
                self.db.execute("DELETE FROM sites WHERE site = ?", (site,))
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return held
