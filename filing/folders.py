"""The names of the shared folder's folders, as the site's settings give them (`[folders]`):
`closedloop init --language zh-CN` writes them in Chinese (收件箱, 发件箱, 档案 ...: the
settings file it writes, templates/closedloop.zh-CN.toml); a site may name them as it likes. What is not written is English, whatever the language, so a
folder laid out in English is still found after its language changes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from language import DEFAULT_FOLDERS


@dataclass(frozen=True)
class FolderNames:
    inbox: str = DEFAULT_FOLDERS["inbox"]
    outbox: str = DEFAULT_FOLDERS["outbox"]
    archive: str = DEFAULT_FOLDERS["archive"]
    quarantine: str = DEFAULT_FOLDERS["quarantine"]
    blank_forms: str = DEFAULT_FOLDERS["blank_forms"]
    reports: str = DEFAULT_FOLDERS["reports"]
    # A sealed quarter's folder is the quarter and this: "2026Q4 Customer Complaint Closed-Loop"
    quarter: str = "Customer Complaint Closed-Loop"
    # Outbox/<department>/Done: the forms a department no longer owes.
    done: str = "Done"
    # Quarantine/Settled: refused files a corrected one has since settled.
    settled: str = "Settled"
    # Outbox/<department>/To do.html: what the department still owes.
    to_do: str = "To do"

    def names(self) -> dict[str, str]:
        """Each setting key with its folder name."""
        return dataclasses.asdict(self)

    def top(self) -> dict[str, str]:
        """The folders at the top of the shared folder, by setting key."""
        return {key: getattr(self, key) for key in TOP}

    def quarter_folder(self, quarter: str) -> str:
        """The folder a sealed quarter ("2026Q4") is put in."""
        return f"{quarter} {self.quarter}"


#: The keys of the folders at the top of the shared folder (the rest are inside them).
TOP = ("inbox", "outbox", "archive", "quarantine", "blank_forms", "reports")
