"""The `closedloop` command: parse, call the library, render text or JSON, map errors to exits.

Exit codes: 0 done; 1 done, with problems in what was read; 2 refused or failed.
"""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from app.errors import NotASharedFolder, WatcherError
from app.folder import SharedFolder, init
from app.instance import InstanceLock
from app.intake import Limits, ingest_once
from app.notes import shown
from app.opening import open_registry, refuse_links
from app.settings import Settings, SettingsError, load_settings, now, settings_template
from archive.auditor import AuditorPages
from archive.casefolder import case_folder
from archive.chaincheck import is_head
from archive.errors import ArchiveError
from archive.packet import Renderer, build_packet, file_packet
from archive.quarter import MANIFEST as QUARTER_MANIFEST
from archive.quarter import SUMMARY, Quarter, close_quarter
from archive.rebuild import rebuild_registry
from archive.verify import Verification
from closedloop.demo import play
from closedloop.doctor import Check, checks
from filing.calendar import WorkingCalendar
from filing.errors import FilingError
from filing.registry import Registry
from filing.status import case_status, case_summary, is_overdue
from forms.atomicfile import atomic_write_bytes
from forms.definition import FormDefinition, all_forms, get_form
from forms.errors import FormError, RefusedFile
from forms.isolated import IsolatedReader
from forms.reader import FormRead, read_capped
from forms.values import format_value
from forms.writer import FORMATS, Format, write_form
from reports.figures import Span
from reports.report import Report, quarterly_report, weekly_report, write_report
from watcher.service import Watcher

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _fail(message: str, as_json: bool = False, kind: str = "error") -> NoReturn:
    if as_json:
        _echo_json({"error": {"kind": kind, "message": message}})
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_REFUSED)


@contextmanager
def _errors(as_json: bool = False) -> Iterator[None]:
    """The one place where library errors become messages and exit codes."""
    try:
        yield
    except RefusedFile as exc:
        _fail(exc.message, as_json, exc.kind)
    except (FormError, SettingsError, FilingError, ArchiveError, WatcherError) as exc:
        _fail(str(exc), as_json)
    except OSError as exc:
        name = getattr(exc, "filename", None) or ""
        _fail(f"{name}: {exc.strerror or exc}", as_json, "os_error")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="closedloop")
def cli() -> None:
    """closedloop runs the customer-complaint loop through Word and Excel forms."""


@cli.group("forms")
def forms_group() -> None:
    """The six forms: list them, describe their fields, write blank or pre-filled ones."""


def _form_arg(ctx: click.Context, param: click.Parameter, value: str) -> FormDefinition:
    try:
        return get_form(value)
    except FormError as exc:
        raise click.BadParameter(str(exc)) from None


json_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--json", "as_json", is_flag=True, help="Answer as JSON."
)


@forms_group.command("list")
@json_option
def forms_list(as_json: bool) -> None:
    """List the forms: id, title and template version."""
    rows = [{"id": f.id, "title": f.title, "version": f.version} for f in all_forms().values()]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:<20} v{row['version']:<4} {row['title']}")


@forms_group.command("describe")
@click.argument("form", callback=_form_arg, metavar="FORM")
@json_option
def forms_describe(form: FormDefinition, as_json: bool) -> None:
    """Describe FORM: every field with its id, label, type, choices and columns."""
    if as_json:
        _echo_json(form.describe())
        return
    click.echo(f"{form.title} ({form.id}, version {form.version})")
    if form.purpose:
        click.echo(form.purpose)
    for section in form.sections:
        click.echo(f"\n{section.title}")
        for f in section.fields:
            req = " (required)" if f.required else ""
            click.echo(f"  {f.id:<28} {f.type:<12} {f.label}{req}")
            if f.choices:
                click.echo("  " + " " * 29 + "choices: " + ", ".join(c.id for c in f.choices))
            for col in f.columns:
                click.echo(f"    {col.id:<26} {col.type:<12} {col.label}")


def _parse_sets(form: FormDefinition, pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"'{pair}' is not FIELD=VALUE", param_hint="--set")
        key = key.strip()
        is_table = any(f.id == key and f.type == "table" for f in form.fields)
        if is_table:
            try:
                values[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(
                    f"table '{key}' takes a JSON list of rows, like "
                    f'[{{"action": "...", "owner": "..."}}] ({exc.msg})',
                    param_hint="--set",
                ) from None
        else:
            values[key] = value
    return values


@forms_group.command("blank")
@click.argument("form", callback=_form_arg, metavar="FORM")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="docx or xlsx.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write."
)
@click.option("--case", "case_id", help="Case number to print on the form, like CC-2026-0001.")
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Pre-fill a field; repeat."
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Shared folder whose settings give the company name.",
)
@click.option("--company", help="Company name for the letterhead (overrides settings).")
def forms_blank(
    form: FormDefinition,
    fmt: Format,
    output: Path,
    case_id: str | None,
    sets: tuple[str, ...],
    root: Path | None,
    company: str | None,
) -> None:
    """Write FORM, blank or pre-filled, as a Word or Excel file."""
    with _errors():
        settings = load_settings(root)
        values = _parse_sets(form, sets)
        path = write_form(form, fmt, output, values, case_id, company or settings.company_name)
    click.echo(f"Wrote {form.title} to {path}")


@cli.command("read")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
def read_cmd(file: Path, as_json: bool) -> None:
    """Read a filled form: its form, case and every value, and what is wrong with it.

    Exit 0: read, no problems; 1: read, with problems; 2: refused (not a readable form).
    """
    with _errors(as_json):
        data = read_capped(file)
        # Read as the service reads: in a process the OS holds to its memory and time budget.
        with IsolatedReader() as reader:
            result = reader.read(file, data)
    if as_json:
        _echo_json(result.to_json())
    else:
        _print_read(result)
    sys.exit(EXIT_PROBLEMS if result.problems else EXIT_OK)


def _print_read(result: FormRead) -> None:
    form = result.form
    case = f", case {result.case_id}" if result.case_id else ", no case number yet"
    click.echo(f"{form.title} ({form.id}, version {result.version}){case}")
    for f in form.fields:
        value = result.values.get(f.id)
        if f.type == "table":
            rows = result.rows(f.id)
            click.echo(f"  {f.label}: {len(rows)} row(s)")
            for row in rows:
                cells = "; ".join(
                    f"{c.label}: {format_value(c, row.get(c.id))}"
                    for c in f.columns
                    if row.get(c.id) is not None
                )
                click.echo(f"    - {cells}")
        elif value is not None:
            text = format_value(f, value).replace("\n", "\n      ")
            click.echo(f"  {f.label}: {text}")
    if result.problems:
        click.echo("Problems:")
        for p in result.problems:
            click.echo(f"  - {p.message}")


root_option = click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The shared folder (the one with Inbox, Outbox, Archive).",
)
now_option = click.option(
    "--now",
    "clock",
    metavar="TIME",
    help="Act as if it were TIME (2026-11-20T09:30); tests and replays.",
)


def _shared(root: Path) -> SharedFolder:
    folder = SharedFolder(root)
    if not folder.is_laid_out():
        raise NotASharedFolder(root)
    return folder


@cli.command("init")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
def init_cmd(root: Path) -> None:
    """Lay out the shared folder ROOT: settings, Inbox, Outbox per department, Blank Forms,
    Archive, Quarantine, Reports. Safe to run again; never overwrites a site's files."""
    with _errors():
        root.mkdir(parents=True, exist_ok=True)
        settings = load_settings(root)
        created = init(root, settings.policy, settings.company_name, settings_template())
        settings = load_settings(root)  # the file just written must be valid
    click.echo(
        f"{root}: {len(created)} folders and files created"
        if created
        else f"{root}: already laid out"
    )
    for path in created:
        click.echo(f"  {path.relative_to(root)}")


@cli.command("ingest")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@json_option
@now_option
def ingest_cmd(root: Path, as_json: bool, clock: str | None) -> None:
    """Process every file in ROOT/Inbox once: file it into its case and issue the next
    forms, or move it to Quarantine with a note saying what to fix."""
    with _errors(as_json):
        folder = _shared(root)
        settings = load_settings(root)
        results = ingest_once(
            folder.root,
            settings.policy,
            settings.company_name,
            now(clock),
            close_quarters=settings.archive.close_quarters,
            closure_packets=settings.archive.closure_packets,
            mail=settings.mail,
            weekly_reports=settings.weekly_reports,
            limits=Limits(evidence_bytes=settings.inbox.max_evidence_bytes),
        )
    if as_json:
        for r in results:
            click.echo(json.dumps(r.to_json(), ensure_ascii=False))
        return
    for r in results:
        where = f" {r.case_id}" if r.case_id else ""
        click.echo(f"{r.outcome:<8} {r.file}{where}: {shown(r.reason or '', 2000)}".rstrip(": "))
        for i in r.issued:
            click.echo(f"         -> {shown(i['file'])}")
    if not results:
        click.echo("The Inbox is empty.")


@cli.command("status")
@click.argument("case_id", metavar="CASE")
@root_option
@json_option
@now_option
def status_cmd(case_id: str, root: Path, as_json: bool, clock: str | None) -> None:
    """Where case CASE stands: state, what it waits for, forms filed and issued, deadlines."""
    with _errors(as_json):
        folder = _shared(root)
        settings = load_settings(root)
        calendar = WorkingCalendar(settings.policy.calendar)
        with open_registry(folder) as registry:
            case = registry.case(case_id)
            if case is None:
                _fail(
                    f"there is no case {case_id}; list the cases with `closedloop cases --root {root}`",
                    as_json,
                )
            where = case_folder(folder.archive, case.case_id, case.customer)
            data = case_status(
                registry,
                case,
                settings.policy,
                calendar,
                now(clock),
                str(where.relative_to(folder.root)) if where.exists() else None,
            )
    if as_json:
        _echo_json(data)
        return
    click.echo(
        f"{data['case_id']}  {data['state']}"
        + (f" ({data['resolution']})" if data["resolution"] else "")
    )
    click.echo(
        f"  {shown(data['customer'] or '')} · {shown(data['product'] or '')} · "
        f"{data['category']} · {data['department'] or 'not routed'}"
    )
    if data["outstanding"]:
        click.echo("  waiting for: " + ", ".join(data["outstanding"]))
    for d in data["deadlines"]:
        click.echo(f"  {d['name']:<12} due {d['due']}  {d['status']}")
    for f in data["filed"]:
        click.echo(f"  filed  {f['filed_at']}  {f['form']} v{f['version']}  {shown(f['file'])}")
    for i in data["issued"]:
        click.echo(f"  issued {i['form']} to {i['department']}: {shown(i['file'])}")


@cli.command("cases")
@root_option
@click.option(
    "--state", type=click.Choice(["awaiting_triage", "open", "awaiting_customer", "closed"])
)
@click.option("--overdue", is_flag=True, help="Only cases with a deadline past due and not met.")
@json_option
@now_option
def cases_cmd(
    root: Path, state: str | None, overdue: bool, as_json: bool, clock: str | None
) -> None:
    """List the cases, one line (or JSON object) each."""
    with _errors(as_json):
        folder = _shared(root)
        settings = load_settings(root)
        calendar = WorkingCalendar(settings.policy.calendar)
        moment = now(clock)
        with open_registry(folder) as registry:
            rows = []
            for case in registry.cases(state):
                late = is_overdue(case, settings.policy, calendar, moment)
                if overdue and not late:
                    continue
                rows.append({**case_summary(case), "overdue": late})
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        flag = "  OVERDUE" if row["overdue"] else ""
        click.echo(
            f"{row['case_id']}  {row['state']:<17} {shown(row['customer'] or ''):<24} "
            f"{shown(row['product'] or '')}{flag}"
        )


@cli.command("verify")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--anchor",
    metavar="HASH",
    help="A head of the archive chain written down earlier (in the service log or the "
    "daily digest): confirm that no event up to it has changed since.",
)
@json_option
def verify_cmd(root: Path, anchor: str | None, as_json: bool) -> None:
    """Check every case folder in ROOT/Archive against its manifest and history, and against
    the registry: lists what is missing, altered, unexpected, not a file at all (a link, a
    FIFO: never followed) or not as the registry recorded it; exit 1 if anything is. A case
    being filed while verify runs may show up: run it again."""
    if anchor is not None:
        anchor = anchor.strip().lower()
        if not is_head(anchor):
            _fail(
                f"--anchor {anchor!r}: a head of the archive chain is 64 hex digits, as the "
                "service log and the daily digest show it; copy it whole",
                as_json,
            )
    with _errors(as_json):
        folder = _shared(root)
        registry: Registry | None = None
        note, problem = "", None
        try:
            refuse_links(folder)  # a registry or folder that is a link is read nowhere
            if folder.registry.is_file() and folder.registry.stat().st_size > 0:
                # Never made or migrated here: verify only reads.
                registry = Registry(folder.registry, create=False)
            else:
                note = (
                    f"no registry at {folder.registry}: the case folders were checked against "
                    "their own manifests and histories only, not against the registry"
                )
        except FilingError as exc:
            problem = f"{exc}; the case folders were not checked against the registry"
            note = problem
        try:
            run = Verification(folder.archive, registry, anchor, problem)
            # A bar on a terminal; nothing but the result when the output goes elsewhere.
            with click.progressbar(
                iter(run),
                length=len(run),
                label="Checking case folders",
                file=sys.stderr if sys.stderr.isatty() and not as_json else io.StringIO(),
            ) as bar:
                checks = list(bar)
        finally:
            if registry is not None:
                registry.close()
    findings = [f for c in checks for f in c.findings]
    chain = run.chain
    assert chain is not None  # set by the run's last check
    summary: dict[str, Any] = {
        "cases": sum(1 for c in checks if not (c.quarter or c.whole)),
        "files": sum(c.files for c in checks),
        "bytes": sum(c.bytes for c in checks),
        "registry": {"checked": registry is not None, "note": note},
        "chain": {"events": chain.events, "head": chain.head},
        "findings": [f.to_json() for f in findings],
    }
    if anchor is not None:
        summary["anchor"] = {"head": anchor, "event": chain.anchor_at}
    if as_json:
        _echo_json(summary)
    else:
        click.echo(
            f"{summary['cases']} case folders, {summary['files']} files checked: "
            + (
                f"{len(findings)} findings"
                if findings
                else "nothing missing, altered or unexpected"
            )
        )
        click.echo(
            "Registry cross-check: "
            + ("done (every case, file hash and history head)" if registry else f"NOT done: {note}")
        )
        click.echo(
            f"Archive chain from the case folders: {chain.events} event(s) unbroken, "
            f"head {chain.head}"
        )
        if anchor is not None and chain.anchor_at is not None:
            click.echo(
                f"Anchor {anchor} found at event {chain.anchor_at}: nothing recorded up to it "
                "has changed since"
            )
        for f in findings:
            where = "/".join(p for p in (f.folder, f.file) if p) or "Archive"
            click.echo(f"  {f.kind:<10} {where}: {f.detail}")
    if findings:
        sys.exit(EXIT_PROBLEMS)


@cli.command("rebuild")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@now_option
def rebuild_cmd(root: Path, clock: str | None) -> None:
    """Make the registry again from the case folders in ROOT/Archive (when it is lost or
    damaged); the old registry is kept beside it, renamed. Refused, with the reasons, when
    a folder is not as it was filed or a case is in two folders."""
    with _errors():
        folder = _shared(root)
        refuse_links(folder)  # the new registry is written into .closedloop: never a link
        with InstanceLock(folder.state, "closedloop rebuild"):
            done = rebuild_registry(folder.archive, folder.registry, now(clock))
    click.echo(
        f"Rebuilt the registry from {done.cases} case folders ({done.filings} filings)."
        + (f" The old one is kept as {done.kept_old.name}." if done.kept_old else "")
    )
    click.echo(f"Archive chain: {done.chain[0]} events, head {done.chain[1]}")


@cli.command("close-quarter")
@click.argument("quarter", metavar="QUARTER")
@root_option
@now_option
def close_quarter_cmd(quarter: str, root: Path, clock: str | None) -> None:
    """Seal the cases closed in QUARTER (like 2026Q4) into their quarter's folder in the
    Archive, with a summary workbook and a manifest; files made read-only. Safe to run
    again."""
    with _errors():
        folder = _shared(root)
        which = Quarter.parse(quarter)
        with (
            InstanceLock(folder.state, "closedloop close-quarter"),
            open_registry(folder) as registry,
        ):
            moment = now(clock)
            settings = load_settings(root)
            done = close_quarter(
                folder.archive,
                registry,
                which,
                moment,
                settings.policy,
                settings.company_name,
                folder.reports,
            )
            pages = AuditorPages(folder.archive, registry, settings.policy)
            for case_id in done.moved:  # their documents moved: their pages link anew
                pages.case_changed(case_id, moment)
    where = done.folder.relative_to(folder.root)
    click.echo(
        f"{done.quarter}: {len(done.cases)} closed cases sealed in {where} "
        f"({len(done.moved)} moved now), with {SUMMARY.format(quarter=done.quarter)}, "
        f"{done.quarter} Quarterly Report.xlsx and {QUARTER_MANIFEST}; its files are read-only. "
        f"The report is also in {folder.reports.name}/."
    )


@cli.group("report")
def report_group() -> None:
    """Weekly and quarterly reports: a workbook with Excel charts and a page, in Reports/."""


@report_group.command("weekly")
@click.option("--week", metavar="WEEK", help="The ISO week, like 2026-W47 (default: this week).")
@root_option
@now_option
def report_weekly_cmd(week: str | None, root: Path, clock: str | None) -> None:
    """The weekly meeting's report: the week's numbers, charts over the 13 weeks ending
    with it, open and overdue cases with their owners, repeats and costs."""
    with _errors():
        moment = now(clock)
        span = Span.week(week) if week else Span.week_of(moment.date())
        _write_report(root, lambda r, s: weekly_report(r, s.policy, span, moment, s.company_name))


@report_group.command("quarterly")
@click.option("--quarter", metavar="QUARTER", help="Like 2026Q4 (default: this quarter).")
@root_option
@now_option
def report_quarterly_cmd(quarter: str | None, root: Path, clock: str | None) -> None:
    """The quarter's report (the quarter close writes it too, into the sealed folder)."""
    with _errors():
        moment = now(clock)
        which = Quarter.parse(quarter) if quarter else Quarter.of(moment.date())
        _write_report(
            root,
            lambda r, s: quarterly_report(r, s.policy, which.year, which.q, moment, s.company_name),
        )


def _write_report(root: Path, make: Callable[[Registry, Settings], Report]) -> None:
    folder = _shared(root)
    settings = load_settings(root)
    with open_registry(folder) as registry:
        report = make(registry, settings)
        written = write_report(folder.reports, report)
    main = report.main
    click.echo(
        f"Wrote {written[0].relative_to(folder.root)} and {written[1].name}: "
        f"{main.opened} opened, {main.closed} closed, {main.open_at_end} open "
        f"({main.overdue_at_end} overdue) {report.main_label}."
    )


@cli.command("index")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@now_option
def index_cmd(root: Path, clock: str | None) -> None:
    """Write the auditor's pages again: ROOT/Archive/index.html and a page per case (they
    are kept up to date by themselves; this is for after an upgrade or a restore)."""
    with _errors():
        folder = _shared(root)
        settings = load_settings(root)
        with open_registry(folder) as registry:
            count = AuditorPages(folder.archive, registry, settings.policy).rebuild_all(now(clock))
    click.echo(f"Wrote {folder.archive / 'index.html'} and {count} case pages.")


@cli.command("packet")
@click.argument("case_id", metavar="CASE")
@root_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the PDF here instead of into the case folder (a sealed case's folder is read-only).",
)
@now_option
def packet_cmd(case_id: str, root: Path, out: Path | None, clock: str | None) -> None:
    """Build CASE's closure packet: a cover with the summary, deadlines and timeline, every
    filed form rendered by LibreOffice, the originals attached."""
    with _errors():
        folder = _shared(root)
        settings = load_settings(root)
        moment = now(clock)
        with (
            InstanceLock(folder.state, "closedloop packet"),
            open_registry(folder) as registry,
        ):
            renderer = Renderer(folder.state / "libreoffice")
            pdf = build_packet(folder.archive, registry, settings.policy, case_id, renderer, moment)
            if out is not None:
                atomic_write_bytes(out, pdf)
                where = out
            else:
                where = file_packet(folder.root, registry, case_id, pdf, moment)
                AuditorPages(folder.archive, registry, settings.policy).case_changed(
                    case_id, moment
                )
    click.echo(f"Wrote {where}")


@cli.command("demo")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False), default="closedloop-demo")
@click.option(
    "--pause", type=float, default=0.0, metavar="SECONDS", help="Wait this long between steps."
)
def demo_cmd(root: Path, pause: float) -> None:
    """Lay out a demo shared folder at ROOT (default ./closedloop-demo) and play one
    complaint through it, step by step: registration, triage, a refused form, CAPA,
    the customer's acceptance, the closure packet and the weekly report."""
    with _errors():
        settings = Settings()
        packets = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None
        text = settings_template()
        if not packets:
            text = text.replace("closure_packets = true", "closure_packets = false")
        for step in play(
            root.resolve(),
            settings.policy,
            settings.company_name,
            text,
            now(),
            closure_packets=packets,
        ):
            click.secho(step.title, bold=True)
            for line in step.lines:
                click.echo(f"  {line}")
            click.echo()
            if pause:
                time.sleep(pause)
    if not packets:
        click.echo("LibreOffice is not installed here, so the demo built no closure packet.")


@cli.command("mail")
@root_option
@json_option
@click.option("--retry", is_flag=True, help="Make every unsent mail due now, given up or not.")
@now_option
def mail_cmd(root: Path, as_json: bool, retry: bool, clock: str | None) -> None:
    """The e-mails not sent yet: waiting for their next try, or given up, with the reason.
    After mending [mail] (or an address), --retry has the service (or the next ingest)
    send them all again."""
    with _errors(as_json):
        folder = _shared(root)
        with open_registry(folder) as registry:
            again = registry.mail_retry(now(clock)) if retry else 0
            waiting = [m for m in registry.mails() if m.sent_at is None]
    rows = [
        {
            "subject": m.subject,
            "to": m.to,
            "state": "given up" if m.given_up else "waiting",
            "attempts": m.attempts,
            "next_try": m.next_try_at.isoformat(timespec="seconds"),
            "error": m.last_error,
        }
        for m in waiting
    ]
    if as_json:
        _echo_json({"unsent": rows, "retried": again})
        return
    for r in rows:
        click.echo(
            f"{r['state']:<8} {r['subject']} to {r['to']}: {r['attempts']} tries"
            + (f", last: {r['error']}" if r["error"] else "")
            + (f"; next {r['next_try']}" if r["state"] == "waiting" else "")
        )
    if retry:
        click.echo(f"{again} mails are due again; the service (or the next ingest) sends them.")
    elif not rows:
        click.echo("Every mail has been sent.")


@cli.command("doctor")
@root_option
@json_option
def doctor_cmd(root: Path, as_json: bool) -> None:
    """Check a shared folder: settings, folders and permissions, the registry, whether a
    service watches it, a network share that needs polling, LibreOffice, fonts and the
    mail server."""
    try:
        settings = load_settings(root)
        found = [Check("settings", "ok", str(root / "closedloop.toml"))]
    except SettingsError as exc:
        settings, found = Settings(), [Check("settings", "fail", str(exc))]
    found += checks(
        root,
        settings.watch.poll,
        settings.archive.closure_packets,
        sorted(set(settings.policy.outboxes.values())),
        mail=settings.mail,
    )
    if as_json:
        _echo_json({"checks": [c.to_json() for c in found]})
    else:
        for c in found:
            click.echo(f"{c.status:<5} {c.name}: {c.detail}")
    if any(c.status == "fail" for c in found):
        sys.exit(EXIT_PROBLEMS)


@cli.command("watch")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--poll",
    type=float,
    metavar="SECONDS",
    help="Look for changes this often instead of waiting for events (network shares).",
)
@click.option(
    "--window",
    type=float,
    metavar="SECONDS",
    help="Take a file once it has not changed for this long (default from settings: 2).",
)
def watch_cmd(root: Path, poll: float | None, window: float | None) -> None:
    """Watch ROOT/Inbox and file what people save there, as a service; stop with Ctrl-C."""
    # Handlers first: a stop asked for while the service starts up is still a clean stop.
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with _errors():
        folder = _shared(root)
        settings = load_settings(root)
        _log_to(folder.state / "watch.log")
        watcher = Watcher(
            folder.root,
            settings.policy,
            settings.company_name,
            window=window if window is not None else settings.watch.window,
            poll=poll if poll is not None else settings.watch.poll,
            rescan=settings.watch.rescan,
            close_quarters=settings.archive.close_quarters,
            closure_packets=settings.archive.closure_packets,
            mail=settings.mail,
            weekly_reports=settings.weekly_reports,
            stale_owner=settings.watch.stale_owner_seconds,
            limits=Limits(evidence_bytes=settings.inbox.max_evidence_bytes),
        )
        watcher.start()
    while not stop.wait(0.5) and not watcher.failed:
        pass
    watcher.stop()
    if watcher.error is not None:
        _fail(
            f"the watcher stopped: {watcher.error}. Files saved meanwhile wait in the Inbox; "
            "mend the cause and start `closedloop watch` again"
        )


def _log_to(path: Path) -> None:
    """Console and a rotating file; the service's only output."""
    logger = logging.getLogger("closedloop")
    logger.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    for handler in (
        logging.StreamHandler(),
        logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        ),
    ):
        handler.setFormatter(fmt)
        logger.addHandler(handler)


def main() -> None:
    cli(prog_name="closedloop")
