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
from app.intake.quarantine import settled_place
from app.results import FileResult, outcome_words
from app.settings import Settings
from archive.journal import NOTE_SUFFIX
from archive.timeline import note_text
from closedloop.columns import pad, width
from filing.registry import Registry
from forms.definition import get_form
from forms.reader import read_form
from forms.writer import write_form
from language import _
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
            _(
                "{root} already holds files; the demo lays out a folder of its own: name a new "
                "or empty folder, like `closedloop demo ./closedloop-demo-2`"
            ).format(root=root)
        )


def play(
    root: Path,
    settings: Settings,
    settings_text: str,
    start: datetime,
) -> Iterator[Step]:
    """Lay out `root` and play one complaint from registration to closure, told in the
    settings' language; the passes file what the steps saved, with the after-effects the
    settings turn on except the weekly report, which the last step writes."""
    with settings.speaking():
        yield from _play(root, settings, settings_text, start)


def _play(root: Path, settings: Settings, settings_text: str, start: datetime) -> Iterator[Step]:
    policy, company = settings.policy, settings.company_name
    closure_packets = settings.archive.closure_packets
    passes = dataclasses.replace(settings, weekly_reports=False)
    if root.exists() and any(root.iterdir()):
        raise DemoFolderInUse(root)
    day = (start - timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    day -= timedelta(days=day.weekday())  # Monday of last week
    folder = SharedFolder(root, policy.folders)
    created = init(root, policy, company, settings_text, settings.languages)
    names = policy.folders
    window = policy.outboxes["customer_window"]
    transport = policy.outboxes["storage_transportation"]
    dept = _("<dept>")  # an outbox's folder, whichever department
    yield Step(
        _("The shared folder"),
        [
            _("Laid out {root} ({count} folders and files):").format(root=root, count=len(created)),
            *_layout(
                (f"{names.inbox}/", _("staff save filled forms here")),
                (
                    f"{names.outbox}/{dept}",
                    _("each department finds its next form here, pre-filled"),
                ),
                (f"{names.archive}/", _("one folder per case; index.html for auditors")),
                (
                    f"{names.quarantine}/",
                    _("a file that cannot be filed, beside a note saying what to fix"),
                ),
                (f"{names.blank_forms}/", _("the six forms, in Word and in Excel")),
                (f"{names.reports}/", _("weekly and quarterly reports")),
            ),
        ],
    )

    def run(now: datetime) -> list[FileResult]:
        return ingest(root, passes, now)

    def said(results: list[FileResult]) -> list[str]:
        lines = []
        for r in results:
            what = _("{outcome}: {file}").format(outcome=outcome_words(r.outcome), file=r.file)
            reason = note_text(r.reason or "", policy.outboxes)
            lines.append(f"  {what}" + (_(" ({reason})").format(reason=reason) if reason else ""))
            lines += [f"    -> {i['file']}" for i in r.issued]
        return lines

    # 1. The customer window registers the complaint on the blank Word form.
    blank = folder.blank_forms / f"{get_form('registration').title_in(settings.language)}.docx"
    registration = _fill(
        blank,
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
        _("1. The customer window registers the complaint"),
        [
            _("Mei filled {blank} and saved it as {saved}.").format(
                blank=blank.relative_to(root).as_posix(),
                saved=registration.relative_to(root).as_posix(),
            ),
            *said(results),
            _("The case is {case}. Its registration comes back to the {window} for triage.").format(
                case=case_id, window=window
            ),
        ],
    )

    # 2. Triage: established, confirmed to the customer.
    triage_at = day + timedelta(hours=2)
    outbox = _issued(results, names.outbox, window)
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
        _("2. Triage: the complaint is established"),
        [
            _(
                "The window opened {form}, ticked 'established', noted the confirmation to the "
                "customer, and saved it into the {inbox}."
            ).format(form=outbox, inbox=names.inbox),
            *said(results),
            _(
                "Transport damage routes to {department}: its CAPA report waits in its outbox, "
                "pre-filled with the case."
            ).format(department=transport),
        ],
    )

    # 3. A CAPA saved without its actions: refused, with a note.
    capa_outbox = _issued(results, names.outbox, transport)
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
    notes = sorted(folder.quarantine.glob(f"*{NOTE_SUFFIX}"))
    note_lines = notes[-1].read_text(encoding="utf-8").strip().splitlines() if notes else []
    yield Step(
        _("3. A form with a gap is refused, never lost"),
        [
            _("Wang saved {form} without the corrective actions table.").format(
                form=Path(capa_outbox).name
            ),
            *said(results),
            _("In {quarantine}, beside the file, a note says what to fix:").format(
                quarantine=names.quarantine
            ),
            *[f"    | {line}" for line in note_lines],
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
        _("4. The corrected CAPA report is filed"),
        [
            _("Wang added the action, its owner and dates, and saved it again."),
            *said(results),
            _(
                "The refused copy and its note moved to {settled}: {quarantine} again holds "
                "only what still needs a person. The CAPA left the top of {outbox} for its "
                "{done}/ folder."
            ).format(
                settled=settled_place(folder),
                quarantine=names.quarantine,
                outbox=f"{names.outbox}/{transport}",
                done=folder.names.done,
            ),
            _("The satisfaction survey goes to the {window}.").format(window=window),
        ],
    )

    # 5. The customer accepts: the case closes.
    survey_outbox = _issued(results, names.outbox, window)
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
    everything = (
        _(
            "Everything about it is in {folder}/: the forms as filed, copies of the forms "
            "issued, case.json, history.jsonl and manifest.sha256, and its closure packet (PDF)."
        )
        if closure_packets
        else _(
            "Everything about it is in {folder}/: the forms as filed, copies of the forms "
            "issued, case.json, history.jsonl and manifest.sha256."
        )
    )
    yield Step(
        _("5. The customer accepts: the case is closed"),
        [*said(results), everything.format(folder=case_dir.relative_to(root))],
    )

    # 6. The week's report and the auditor's view.
    week = Span.week_of(day.date())
    with Registry(folder.registry) as registry:
        written = write_report(
            folder.reports, weekly_report(registry, policy, week, start, company)
        )
    yield Step(
        _("6. The weekly report and the auditor's view"),
        [
            _(
                "{workbook}: Excel charts (Pareto by category, customers, products, opened and "
                "closed per week, deadlines) and the lists behind them."
            ).format(workbook=written[0].relative_to(root)),
            _("{page}: the same as a page.").format(page=written[1].relative_to(root)),
            _(
                "Open {index} in a browser: every case, searchable, each with its documents "
                "and their SHA-256."
            ).format(index=folder.archive / "index.html"),
            _("`closedloop verify {root}` proves nothing was changed after filing.").format(
                root=root
            ),
        ],
    )


def _layout(*rows: tuple[str, str]) -> list[str]:
    """The folders and what each is for, in two columns."""
    columns = max(width(name) for name, _what in rows)
    return [f"  {pad(name, columns)} {what}" for name, what in rows]


def _issued(results: list[FileResult], outbox: str, department: str) -> str:
    for r in results:
        for i in r.issued:
            if f"{outbox}/{department}/" in i["file"]:
                return i["file"]
    raise AppError(
        _("the demo expected a form for {department}; it was not issued").format(
            department=department
        )
    )


def _fill(source: Path, target: Path, values: dict[str, Any], company: str) -> Path:
    """What a person does in Word: open the form, fill fields, save it elsewhere."""
    read = read_form(source)
    fmt = source.suffix.lstrip(".").lower()
    filled = {k: v for k, v in read.values.items() if v not in (None, "", [])}
    filled.update(values)
    return write_form(read.form, fmt, target, filled, read.case_id, company)  # type: ignore[arg-type]
