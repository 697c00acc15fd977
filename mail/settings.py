"""The [mail] settings of closedloop.toml: the server, who gets what, and when the digest
goes out. No host: no e-mail is queued or sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class MailSettings:
    host: str = ""  # no host: no e-mail
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    password: str = ""
    sender: str = "closedloop@localhost"
    departments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> addresses
    digest_to: tuple[str, ...] = ()
    digest_at: time = time(8, 0)
    due_soon_days: int = 2  # the digest lists deadlines due within this many days
    digest_departments: bool = True  # each department with an address gets its own part
    timeout: float = 10.0  # seconds for the server to answer
    give_up_after: int = 20  # attempts

    @property
    def enabled(self) -> bool:
        return bool(self.host)
