"""The shared folder itself: lay it out, file its Inbox once or as a service, check it,
and a demo folder played through."""

from __future__ import annotations

import dataclasses
import json
import logging
import logging.handlers
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import click

from app.application import App
from app.errors import command_path
from app.faults import files_wait_when_away
from app.folder import SETTINGS_FILE, SharedFolder, init
from app.results import Outcome, outcome_words
from app.settings import (
    SettingsError,
    folder_names_in,
    load_settings,
    read_settings,
    settings_template,
    settings_told_in,
)
from archive.timeline import note_text
from closedloop.cli.common import (
    EXIT_PROBLEMS,
    echo_json,
    errors,
    fail,
    json_option,
    now,
    now_option,
    pad,
    root_argument,
)
from closedloop.cli.group import cli
from closedloop.cli.office import OfficeKeeper
from closedloop.demo import play
from closedloop.desk.record import remove_desk, write_desk
from closedloop.desk.server import PacketDesk
from closedloop.doctor import Check, checks
from forms.shown import shown
from language import DEFAULT as DEFAULT_LANGUAGE
from language import LANGUAGES, LanguageError, _, language_code
from watcher.service import Watcher


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        return None if value is None else language_code(value)
    except LanguageError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("init")
@root_argument
@click.option(
    "--language",
    callback=_language,
    help=f"The language of the folder: {', '.join(LANGUAGES)} (default en). Its settings, "
    "folders, departments, forms and everything people read are in it.",
)
def init_cmd(root: Path, language: str | None) -> None:
    """Lay out the shared folder ROOT: settings, Inbox, Outbox per department, Blank Forms,
    Archive, Quarantine, Reports (named in the folder's language). Safe to run again; never
    overwrites a site's files."""
    with errors():
        root.mkdir(parents=True, exist_ok=True)
        settings_file = root / SETTINGS_FILE
        text = settings_template(language or DEFAULT_LANGUAGE)
        if settings_file.exists():
            settings = load_settings(root)
            if language is not None and language != settings.language:
                raise SettingsError(
                    _(
                        '{file} says language = "{language}", not {asked}; a folder laid out '
                        "keeps its settings: change the language there"
                    ).format(file=settings_file, language=settings.language, asked=language)
                )
        else:  # the folders are named as the settings file about to be written says
            settings = read_settings(settings_file, text)
        created = init(root, settings.policy, settings.company_name, text, settings.languages)
        settings = load_settings(root)  # the file just written must be valid
    with settings.speaking():  # the language just laid out, not the one before
        click.echo(
            _("{root}: {count} folders and files created").format(root=root, count=len(created))
            if created
            else _("{root}: already laid out").format(root=root)
        )
    for path in created:
        click.echo(f"  {path.relative_to(root)}")


@cli.command("ingest")
@root_argument
@json_option
@now_option
def ingest_cmd(root: Path, as_json: bool, clock: str | None) -> None:
    """Process every file in ROOT/Inbox once: file it into its case and issue the next
    forms, or move it to Quarantine with a note saying what to fix. Exit 1 when anything
    was refused."""
    with errors(as_json), files_wait_when_away(), App.open(root) as app:
        results = app.ingest(now(clock))
    if as_json:
        for r in results:
            click.echo(json.dumps(r.to_json(), ensure_ascii=False))
    else:
        for r in results:
            where = f" {r.case_id}" if r.case_id else ""
            what = f"{pad(outcome_words(r.outcome), 8)} {r.file}{where}"
            reason = shown(note_text(r.reason or "", app.settings.policy.outboxes), 2000)
            click.echo(_("{what}: {reason}").format(what=what, reason=reason) if reason else what)
            for i in r.issued:
                click.echo(f"         -> {shown(i['file'])}")
        if not results:
            click.echo(_("The {inbox} is empty.").format(inbox=app.folder.inbox.name))
    # A refusal is a problem someone must act on: a script or scheduled task sees it.
    if any(r.outcome is Outcome.REFUSED for r in results):
        sys.exit(EXIT_PROBLEMS)


@cli.command("watch")
@root_argument
@click.option(
    "--poll",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Look for changes this often instead of waiting for events (network shares).",
)
@click.option(
    "--window",
    type=click.FloatRange(min=0),
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
    with errors():
        settings = load_settings(root)
        folder = SharedFolder.laid_out(root, settings.policy.folders)
        timing = settings.watch
        timing = dataclasses.replace(
            timing,
            poll=poll if poll is not None else timing.poll,
            window=window if window is not None else timing.window,
        )
        _log_to(folder.state / "watch.log")
        watcher = Watcher(folder.root, dataclasses.replace(settings, watch=timing))
        watcher.start()
        # `closedloop packet` cannot take the folder's lock while the service holds it:
        # the service builds and files its packets (watcher/desk_filing.py).
        desk = PacketDesk(folder.root, job=watcher.desk.packet, warm=False).__enter__()
        write_desk(folder.state, os.getpid(), desk.name)
        # Packets rendered in a resident LibreOffice: its own, if none runs for the folder.
        office = OfficeKeeper.for_watch(folder.root, folder.state, settings)
    while not stop.wait(0.5) and not watcher.failed:
        pass
    remove_desk(folder.state, os.getpid())
    # The desk first: the packet in hand is filed by the worker, still running; those
    # waiting their turn are told to run the command again.
    desk.__exit__(None, None, None)
    watcher.stop()
    if office is not None:
        office.stop()
    if watcher.error is not None:
        fail(
            _(
                "the watcher stopped: {error}. Files saved meanwhile wait in the {inbox}; mend "
                "the cause and start `closedloop watch` again"
            ).format(error=watcher.error, inbox=folder.inbox.name)
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


@cli.command("doctor")
@root_argument
@json_option
def doctor_cmd(root: Path, as_json: bool) -> None:
    """Check a shared folder: settings, folders and permissions, the registry, whether a
    service watches it, a network share that needs polling, LibreOffice, fonts and the
    mail server. Creates nothing, even where ROOT is not a shared folder."""
    settings_file = root / SETTINGS_FILE
    unread = False
    try:
        settings = load_settings(root)
        found = [Check("settings", "ok", str(settings_file))]
        if not settings_file.is_file():
            found = [
                Check(
                    "settings",
                    "warn" if SharedFolder(root).is_laid_out() else "fail",
                    _(
                        "{file} is missing, so every setting is at its default; `closedloop "
                        "init {root}` writes one to fill in"
                    ).format(file=settings_file, root=command_path(root)),
                )
            ]
    except SettingsError as exc:
        # The folders are looked for by the names the file gives, if it can be read so far.
        settings, found = settings_told_in(root), [Check("settings", "fail", str(exc))]
        unread = folder_names_in(root) is None
    more = checks(
        root,
        settings.watch.poll,
        settings.archive.closure_packets,
        sorted(set(settings.policy.outboxes.values())),
        mail=settings.mail,
        folders=settings.policy.folders,
        registry=settings.registry,
    )
    if unread:
        # The folders' names are settings: the defaults would send the reader looking for
        # folders this one never had.
        said = _("not checked: their names are in the settings, which cannot be read")
        more = [Check(c.name, "warn", said) if c.name == "folders" else c for c in more]
    found += more
    if as_json:
        echo_json({"checks": [c.to_json() for c in found]})
    else:
        for c in found:
            status, name = c.words()
            click.echo(
                _("{status} {name}: {detail}").format(
                    status=pad(status, 5), name=name, detail=c.detail
                )
            )
    if any(c.status == "fail" for c in found):
        sys.exit(EXIT_PROBLEMS)


@cli.command("demo")
@click.argument(
    "root",
    type=click.Path(path_type=Path, file_okay=False),
    default="closedloop-demo",
    metavar="[ROOT]",
)
@click.option(
    "--pause", type=float, default=0.0, metavar="SECONDS", help="Wait this long between steps."
)
@click.option(
    "--language",
    callback=_language,
    help=f"The language of the demo folder: {', '.join(LANGUAGES)} (default en).",
)
def demo_cmd(root: Path, pause: float, language: str | None) -> None:
    """Lay out a demo shared folder at ROOT (default ./closedloop-demo) and play one
    complaint through it, step by step: registration, triage, a refused form, CAPA,
    the customer's acceptance, the closure packet and the weekly report."""
    with errors():
        packets = shutil.which("soffice") is not None or shutil.which("libreoffice") is not None
        text = settings_template(language or DEFAULT_LANGUAGE)
        if not packets:
            text = text.replace("closure_packets = true", "closure_packets = false")
        settings = read_settings(root / SETTINGS_FILE, text)
        settings = dataclasses.replace(
            settings, archive=dataclasses.replace(settings.archive, closure_packets=packets)
        )
    with errors(), settings.speaking():
        for step in play(root.resolve(), settings, text, now()):
            click.secho(step.title, bold=True)
            for line in step.lines:
                click.echo(f"  {line}")
            click.echo()
            if pause:
                time.sleep(pause)
        if not packets:
            click.echo(_("LibreOffice is not installed here, so the demo built no closure packet."))
