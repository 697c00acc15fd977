"""The after-effects of filing, in the order they run (see base.py for the contract)."""

from __future__ import annotations

from app.jobs.base import AnyJob
from app.jobs.blanks import BlankFormsJob
from app.jobs.mail import MailJob
from app.jobs.outbox import OutboxJob
from app.jobs.packets import ClosurePacketJob
from app.jobs.pages import AuditorPagesJob, GroupIndexJob
from app.jobs.quarters import QuarterSealJob
from app.jobs.settle import SettleQuarantineJob
from app.jobs.weekly import WeeklyReportJob
from app.settings import Settings


def after_effects(settings: Settings, mail_every: float = 30.0) -> list[AnyJob]:
    """The jobs the settings turn on. The packet and the seal come before the pages, which
    then link what they made; mail last, so a pass's mail goes out after its filings."""
    jobs: list[AnyJob] = [BlankFormsJob()]  # at the start: blanks with the company name
    if settings.archive.closure_packets:
        jobs.append(ClosurePacketJob())
    if settings.archive.close_quarters:
        jobs.append(QuarterSealJob())
    jobs.append(AuditorPagesJob())
    if settings.registry.shared:
        jobs.append(GroupIndexJob())
    jobs.append(SettleQuarantineJob())  # what the filing settles leaves Quarantine
    jobs.append(OutboxJob())  # what it answers leaves its Outbox; the To do pages follow
    if settings.weekly_reports:
        jobs.append(WeeklyReportJob())
    if settings.mail.enabled:
        jobs.append(MailJob(mail_every))
    return jobs
