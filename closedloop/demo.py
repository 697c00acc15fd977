"""`closedloop demo`: a shared folder laid out and one complaint played through it, step by
step, the way staff would: forms taken from Blank Forms or an outbox, filled, saved into
the Inbox, and filed by the same pass `closedloop ingest` runs.

The case is dated in the week before `start` so that its report is a finished week's and
every deadline can be judged. Forms are filled through the form library (as a person would
fill them in Word), never by writing the registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.application import ingest
from app.errors import AppError
from app.folder import SharedFolder, init
from app.results import FileResult
from app.settings import Settings
from filing.registry import Registry
from forms.reader import read_form
from forms.writer import write_form
from reports.figures import Span
from reports.report import weekly_report, write_report

CUSTOMER = "Demo Windows Co."


@dataclass(frozen=True)
class Step:
    title: str
    lines: list[str] = field(default_factory=list)


class DemoFolderInUse(AppError):
    def __init__(self, root: Path) -> None:
        super().__init__(
            f"{root} already holds files; the demo lays out a folder of its own: name a new "
            "or empty folder, like `closedloop demo ./closedloop-demo-2`"
        )


def play(
    root: Path,
    settings: Settings,
    settings_text: str,
    start: datetime,
) -> Iterator[Step]:
    """Lay out `root` and play one complaint from registration to closure; the passes file
    what the steps saved, with the after-effects the settings turn on except the weekly
    report, which the last step writes."""
    policy, company = settings.policy, settings.company_name
    closure_packets = settings.archive.closure_packets
    passes = dataclasses.replace(settings, weekly_reports=False)
    if root.exists() and any(root.iterdir()):
        raise DemoFolderInUse(root)
    day = (start - timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    day -= timedelta(days=day.weekday())  # Monday of last week
    folder = SharedFolder(root, policy.folders)
    created = init(root, policy, company, settings_text)
    yield Step(
        "The shared folder",
        [
            f"Laid out {root} ({len(created)} folders and files):",
            "  Inbox/        staff save filled forms here",
            "  Outbox/<dept> each department finds its next form here, pre-filled",
            "  Archive/      one folder per case; index.html for auditors",
            "  Quarantine/   a file that cannot be filed, beside a note saying what to fix",
            "  Blank Forms/  the six forms, in Word and in Excel",
            "  Reports/      weekly and quarterly reports",
        ],
    )

    def run(now: datetime) -> list[FileResult]:
        return ingest(root, passes, now)

    def said(results: list[FileResult]) -> list[str]:
        lines = []
        for r in results:
            lines.append(f"  {r.outcome}: {r.file}" + (f" ({r.reason})" if r.reason else ""))
            lines += [f"    -> {i['file']}" for i in r.issued]
        return lines

    # 1. The customer window registers the complaint on the blank Word form.
    registration = _fill(
        folder.blank_forms / "Complaint Registration Form.docx",
        folder.inbox / "ACME call.docx",
        {
            "complaint_date": day.date().isoformat(),
            "received_at": day.strftime("%Y-%m-%d %H:%M"),
            "channel": "Phone",
            "complainant": "Ms. Wu, purchasing",
            "customer": CUSTOMER,
            "registered_by": "Mei (customer window)",
            "product": "W-200 window unit",
            "goods_received_date": (day - timedelta(days=6)).date().isoformat(),
            "quantity_delivered": "10",
            "quantity_affected": "3",
            "category": "Transport damage",
            "description": "Glass cracked in 3 of 10 units on arrival.",
            "customer_requirement": "Explanation",
        },
        company,
    )
    results = run(day)
    case_id = results[0].case_id or ""
    yield Step(
        "1. The customer window registers the complaint",
        [
            f"Mei filled Blank Forms/Complaint Registration Form.docx and saved it as "
            f"Inbox/{registration.name}.",
            *said(results),
            f"The case is {case_id}. Its registration comes back to the Customer Window for "
            "triage.",
        ],
    )

    # 2. Triage: established, confirmed to the customer.
    triage_at = day + timedelta(hours=2)
    outbox = _issued(results, "Customer Window")
    _fill(
        root / outbox,
        folder.inbox / Path(outbox).name,
        {
            "confirmed_to_customer_at": (day + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "established": "Yes",
            "established_reason": "Photos show cracks along the edges; packaging was intact.",
            "decided_by": "Quality manager Zhao",
            "decided_date": day.date().isoformat(),
        },
        company,
    )
    results = run(triage_at)
    yield Step(
        "2. Triage: the complaint is established",
        [
            f"The window opened {outbox}, ticked 'established', noted the confirmation to the "
            "customer, and saved it into the Inbox.",
            *said(results),
            "Transport damage routes to Storage & Transportation: its CAPA report waits in "
            "its outbox, pre-filled with the case.",
        ],
    )

    # 3. A CAPA saved without its actions: refused, with a note.
    capa_outbox = _issued(results, "Storage & Transportation")
    capa_values: dict[str, Any] = {
        "root_cause_area": "Transport packaging",
        "root_cause": "Buffer foam too thin for 4 h of vibration on the truck.",
        "responsible_department": "Storage & Transportation",
        "responsible_person": "Wang",
        "responsibility_type": "Own controllable fault",
        "verification": "Damage rate 15% -> 0 in a 4 h vibration + 3 drop test.",
        "verified_by": "Li",
        "verified_date": (day + timedelta(days=2)).date().isoformat(),
        "standardisation": "Packing SOP 4.2 updated; packers trained.",
        "handling_plan": "Exchange",
        "plan_approved_by": "GM Zhao",
        "plan_approved_date": (day + timedelta(days=2)).date().isoformat(),
        "deduction_amount": "1200",
        "working_hours": "6",
        "working_hours_department": "Storage & Transportation",
        "prepared_by": "Wang",
    }
    capa_at = day + timedelta(days=2, hours=1)
    _fill(root / capa_outbox, folder.inbox / Path(capa_outbox).name, capa_values, company)
    results = run(capa_at)
    notes = sorted(folder.quarantine.glob("* - what to fix.txt"))
    note_text = notes[-1].read_text(encoding="utf-8").strip().splitlines() if notes else []
    yield Step(
        "3. A form with a gap is refused, never lost",
        [
            f"Wang saved {Path(capa_outbox).name} without the corrective actions table.",
            *said(results),
            "In Quarantine, beside the file, a note says what to fix:",
            *[f"    | {line}" for line in note_text],
        ],
    )

    # 4. The corrected CAPA, saved under the same name: it settles the refusal.
    actions = [
        {
            "action": "Thicker foam and corner guards on W-200 crates",
            "owner": "Wang",
            "due": (day + timedelta(days=4)).date().isoformat(),
            "done": (day + timedelta(days=2)).date().isoformat(),
        }
    ]
    _fill(
        root / capa_outbox,
        folder.inbox / Path(capa_outbox).name,
        {**capa_values, "actions": actions},
        company,
    )
    results = run(capa_at + timedelta(hours=1))
    yield Step(
        "4. The corrected CAPA report is filed",
        [
            "Wang added the action, its owner and dates, and saved it again.",
            *said(results),
            "The refused copy and its note moved to Quarantine/Settled/: Quarantine again "
            "holds only what still needs a person. The CAPA left the top of "
            "Outbox/Storage & Transportation for its Done/ folder.",
            "The satisfaction survey goes to the Customer Window.",
        ],
    )

    # 5. The customer accepts: the case closes.
    survey_outbox = _issued(results, "Customer Window")
    close_at = day + timedelta(days=4, hours=1)
    _fill(
        root / survey_outbox,
        folder.inbox / Path(survey_outbox).name,
        {
            "contact_person": "Ms. Wu",
            "results_sent_date": (day + timedelta(days=3)).date().isoformat(),
            "survey_date": (day + timedelta(days=4)).date().isoformat(),
            "customer_accepts": "Yes",
            "customer_comments": "Replacement units arrived intact.",
            "surveyed_by": "Mei",
        },
        company,
    )
    results = run(close_at)
    case_dir = next(p for p in folder.archive.iterdir() if p.name.startswith(case_id))
    yield Step(
        "5. The customer accepts: the case is closed",
        [
            *said(results),
            f"Everything about it is in {case_dir.relative_to(root)}/: the forms as filed, "
            "copies of the forms issued, case.json, history.jsonl and manifest.sha256"
            + (", and its closure packet (PDF)." if closure_packets else "."),
        ],
    )

    # 6. The week's report and the auditor's view.
    week = Span.week_of(day.date())
    with Registry(folder.registry) as registry:
        written = write_report(
            folder.reports, weekly_report(registry, policy, week, start, company)
        )
    yield Step(
        "6. The weekly report and the auditor's view",
        [
            f"{written[0].relative_to(root)}: Excel charts (Pareto by category, customers, "
            "products, opened and closed per week, deadlines) and the lists behind them.",
            f"{written[1].relative_to(root)}: the same as a page.",
            f"Open {folder.archive / 'index.html'} in a browser: every case, searchable, "
            "each with its documents and their SHA-256.",
            f"`closedloop verify {root}` proves nothing was changed after filing.",
        ],
    )


def _issued(results: list[FileResult], department: str) -> str:
    for r in results:
        for i in r.issued:
            if f"Outbox/{department}/" in i["file"]:
                return i["file"]
    raise AppError(f"the demo expected a form for {department}; it was not issued")


def _fill(source: Path, target: Path, values: dict[str, Any], company: str) -> Path:
    """What a person does in Word: open the form, fill fields, save it elsewhere."""
    read = read_form(source)
    fmt = source.suffix.lstrip(".").lower()
    filled = {k: v for k, v in read.values.items() if v not in (None, "", [])}
    filled.update(values)
    return write_form(read.form, fmt, target, filled, read.case_id, company)  # type: ignore[arg-type]
