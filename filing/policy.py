"""The numbers and rules of the loop that a site may change (DOMAIN.md's bold numbers).

Resolved once from the settings file by `app.settings` and passed down explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from filing.folders import FolderNames

#: Category -> responsible department, when triage does not name one (DOMAIN.md step 2).
DEFAULT_ROUTES: Mapping[str, str] = MappingProxyType(
    {
        "quality": "quality_management",
        "quantity": "quality_management",
        "tolerance": "quality_management",
        "transport_damage": "storage_transportation",
        "installation_technical": "after_sales",
        "special_requirement": "sales",
        "other": "quality_management",
    }
)


#: Department id -> its outbox folder name (Outbox/<name>/).
DEFAULT_OUTBOXES: Mapping[str, str] = MappingProxyType(
    {
        "quality_management": "Quality Management",
        "storage_transportation": "Storage & Transportation",
        "after_sales": "After-sales",
        "production": "Production",
        "rnd": "R&D",
        "sales": "Sales",
        "finance": "Finance",
        "planning": "Planning (PMC)",
        "customer_window": "Customer Window",
    }
)


@dataclass(frozen=True)
class CalendarPolicy:
    """Which days are working days."""

    country: str | None = "CN"  # public holidays from the `holidays` library; None: none
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()  # site days off (shutdowns, stocktaking)
    extra_workdays: frozenset[date] = frozenset()  # site working days on weekends


@dataclass(frozen=True)
class DeadlinePolicy:
    confirm_working_days: int = 1  # confirm the complaint to the customer
    containment_hours: int = 4  # product in production or shipment
    actions_working_days: int = 5  # improvement actions complete, counted from triage
    close_days: int = 28  # the complaint closes within 4 weeks of receipt


@dataclass(frozen=True)
class Policy:
    acceptance_days: int = 30  # complaints accepted within 30 days of receiving the goods
    few_hosts: int = 5  # fewer than 5 hosts and fewer than 15 accessories: After-sales repairs
    few_accessories: int = 15
    sample_sets: int = 10  # 10 sets or fewer: samples by After-sales; more: R&D
    repeat_window_days: int = 90
    # The earlier cases a repeat lists (the nearest; how many more is counted): bounded, so
    # that a much-complained-about product does not make every new case carry them all.
    repeat_links: int = 10
    # The rows of each list in a report (open cases, repeats, costs), the most urgent first
    # chosen; the rest counted ([reports] listed): a report follows the week, not the backlog.
    report_rows: int = 50
    routes: Mapping[str, str] = field(default_factory=lambda: DEFAULT_ROUTES)
    outboxes: Mapping[str, str] = field(default_factory=lambda: DEFAULT_OUTBOXES)
    folders: FolderNames = field(default_factory=FolderNames)
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
