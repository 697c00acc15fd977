"""The archive: verify it, rebuild the registry from it, seal a quarter, write the auditor's
pages again."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import click

from app.folder import SharedFolder
from app.instance import InstanceLock
from app.opening import open_site, refuse_links, registry_to_read
from app.settings import load_settings
from archive.chaincheck import is_head
from archive.quarter import MANIFEST as QUARTER_MANIFEST
from archive.quarter import Quarter, close_quarter
from archive.rebuild import rebuild_registry
from archive.rebuild_site import load_site
from archive.verify import Verification
from archive.verify_findings import Finding, kind_words
from closedloop.cli.common import (
    EXIT_PROBLEMS,
    echo_json,
    errors,
    fail,
    json_option,
    now,
    now_option,
    opened,
    root_argument,
)
from closedloop.cli.group import cli
from closedloop.columns import pad
from filing.errors import FilingError
from filing.registry import Registry
from language import _


@cli.command("verify")
@root_argument
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
            fail(
                _(
                    "--anchor {anchor}: a head of the archive chain is 64 hex digits, as the "
                    "service log and the daily digest show it; copy it whole"
                ).format(anchor=repr(anchor)),
                as_json,
            )
    with errors(as_json):
        # A misspelled setting is refused by every command; the folders are as it names them.
        settings = load_settings(root)
        folder = SharedFolder.laid_out(root, settings.policy.folders)
        registry: Registry | None = None
        note, problem = "", None
        try:
            refuse_links(folder)  # a registry or folder that is a link is read nowhere
            shared = settings.registry.shared
            if shared or (folder.registry.is_file() and folder.registry.stat().st_size > 0):
                # Never made here: verify only reads.
                registry = registry_to_read(folder, settings.registry)
            else:
                note = _(
                    "no registry at {registry}: the case folders were checked against their "
                    "own manifests and histories only, not against the registry"
                ).format(registry=folder.registry)
        except FilingError as exc:
            problem = _("{problem}; the case folders were not checked against the registry")
            problem = problem.format(problem=exc)
            note = problem
        try:
            run = Verification(folder.archive, registry, anchor, problem)
            # A bar on a terminal; nothing but the result when the output goes elsewhere.
            with click.progressbar(
                iter(run),
                length=len(run),
                label=_("Checking case folders"),
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
        echo_json(summary)
    else:
        _say_verified(summary, findings, registry is not None, note, anchor, folder.archive.name)
    if findings:
        sys.exit(EXIT_PROBLEMS)


@cli.command("rebuild")
@root_argument
@now_option
def rebuild_cmd(root: Path, clock: str | None) -> None:
    """Make the registry again from the case folders in ROOT/Archive (when it is lost or
    damaged); the old registry is kept beside it, renamed. Refused, with the reasons, when
    a folder is not as it was filed or a case is in two folders. On a shared registry
    ([registry] url), load this site's archive into it (a site that has no cases there)."""
    with errors():
        # A misspelled setting is refused by every command; the folders are as it names them.
        settings = load_settings(root)
        folder = SharedFolder.laid_out(root, settings.policy.folders)
        refuse_links(folder)  # the new registry is written into .closedloop: never a link
        moment = now(clock)
        with InstanceLock(folder.state, "closedloop rebuild"):
            if settings.registry.shared:
                with open_site(folder, settings.registry, moment) as registry:
                    done = load_site(folder.archive, folder.root, registry, moment)
            else:
                done = rebuild_registry(folder.archive, folder.registry, moment)
    if settings.registry.shared:
        click.echo(
            _(
                "Loaded {cases} case folders ({filings} filings) into the shared registry "
                "{where} as cases of site {site}."
            ).format(
                cases=done.cases,
                filings=done.filings,
                where=done.where,
                site=settings.registry.site,
            )
        )
        return _say_chain(done.chain)
    rebuilt = _("Rebuilt the registry from {cases} case folders ({filings} filings).").format(
        cases=done.cases, filings=done.filings
    )
    if done.kept_old:
        rebuilt += _(" The old one is kept as {name}.").format(name=done.kept_old.name)
    click.echo(rebuilt)
    _say_chain(done.chain)


def _say_chain(chain: tuple[int, str]) -> None:
    click.echo(
        _("Archive chain: {events} events, head {head}").format(events=chain[0], head=chain[1])
    )


@cli.command("close-quarter")
@root_argument
@click.argument("quarter", metavar="QUARTER")
@now_option
def close_quarter_cmd(root: Path, quarter: str, clock: str | None) -> None:
    """Seal the cases closed in QUARTER (like 2026Q4) into their quarter's folder in the
    Archive, with a summary workbook and a manifest; files made read-only. Safe to run
    again."""
    with errors():
        which = Quarter.parse(quarter)
        with opened(root) as app, InstanceLock(app.folder.state, "closedloop close-quarter"):
            moment = now(clock)
            done = close_quarter(
                app.folder.archive,
                app.registry,
                which,
                moment,
                app.settings.policy,
                app.settings.company_name,
                app.folder.reports,
                app.settings.currency,
            )
            for case_id in done.moved:  # their documents moved: their pages link anew
                app.pages.case_changed(case_id, moment)
            where = done.folder.relative_to(app.folder.root)
            reports = app.folder.reports.name
    click.echo(
        _(
            "{quarter}: {count} closed cases sealed in {where} ({moved} moved now), with "
            "{summary}, {report} and {manifest}; its files are read-only. The report is also "
            "in {reports}/."
        ).format(
            quarter=done.quarter,
            count=len(done.cases),
            where=where,
            moved=len(done.moved),
            summary=done.summary,
            report=done.report,
            manifest=QUARTER_MANIFEST,
            reports=reports,
        )
    )


@cli.command("index")
@root_argument
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Write every page anew, not only those behind the registry, missing or damaged (a page edited by hand is only put right so).",
)
@now_option
def index_cmd(root: Path, every: bool, clock: str | None) -> None:
    """Bring the auditor's pages (ROOT/Archive/index.html and a page per case) up to the
    registry, and write again any that is missing; with --all, write every page anew
    (after an upgrade or a restore). They are kept up to date by themselves."""
    with errors(), opened(root) as app:
        moment = now(clock)
        index = app.folder.archive / "index.html"
        if every:
            count = app.pages.rebuild_all(moment)
            if app.settings.registry.shared:
                app.group_index.rebuild(moment)
            said = _("Wrote {index} and {count} case pages.")
        else:
            count = app.pages.restore(moment)
            if app.settings.registry.shared:
                app.group_index.refresh(moment)
            said = _(
                "Brought {index} up to the registry. Case pages written again: {count}; the "
                "others were as the registry has them (--all writes them all anew)."
            )
    click.echo(said.format(index=index, count=count))


def _say_verified(
    summary: dict[str, Any],
    findings: list[Finding],
    cross_checked: bool,
    note: str,
    anchor: str | None,
    archive: str,
) -> None:
    """What verify found, as text."""
    checked = _("{cases} case folders, {files} files checked: ").format(
        cases=summary["cases"], files=summary["files"]
    )
    click.echo(
        checked
        + (
            _("{count} findings").format(count=len(findings))
            if findings
            else _("nothing missing, altered or unexpected")
        )
    )
    click.echo(
        _("Registry cross-check: done (every case, file hash and history head)")
        if cross_checked
        else _("Registry cross-check: NOT done: {note}").format(note=note)
    )
    chain = summary["chain"]
    click.echo(
        _("Archive chain from the case folders: {events} event(s) unbroken, head {head}").format(
            events=chain["events"], head=chain["head"]
        )
    )
    at = summary.get("anchor", {}).get("event")
    if anchor is not None and at is not None:
        click.echo(
            _(
                "Anchor {anchor} found at event {event}: nothing recorded up to it has changed "
                "since"
            ).format(anchor=anchor, event=at)
        )
    for f in findings:
        where = "/".join(p for p in (f.folder, f.file) if p) or archive
        said = _("{what}: {reason}").format(what=where, reason=f.detail)
        click.echo(f"  {pad(kind_words(f.kind), 10)} {said}")
