"""Settings for tests that drive the library directly: the service's and the one-shot
pass's after-effects are off unless a test turns them on (as the Watcher and ingest_once
had them before the application object)."""

from __future__ import annotations

from pathlib import Path

from app.settings import ArchiveSettings, Settings, WatchSettings, load_settings
from filing.policy import Policy
from mail.settings import MailSettings


def quiet_settings(
    company: str = "Test Co.",
    policy: Policy | None = None,
    *,
    window: float = 2.0,
    poll: float | None = None,
    rescan: float = 30.0,
    closure_packets: bool = False,
    close_quarters: bool = False,
    weekly_reports: bool = False,
    mail: MailSettings | None = None,
    root: Path | None = None,
) -> Settings:
    """`root`: the folder whose registry to use (its settings' [registry]), else its own."""
    return Settings(
        registry=load_settings(root).registry if root is not None else Settings().registry,
        company_name=company,
        policy=policy or Policy(),
        watch=WatchSettings(window=window, poll=poll, rescan=rescan),
        archive=ArchiveSettings(close_quarters=close_quarters, closure_packets=closure_packets),
        mail=mail or MailSettings(),
        weekly_reports=weekly_reports,
    )
