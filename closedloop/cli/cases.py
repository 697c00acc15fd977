"""The register: where a case stands, the list of cases, a case's closure packet, and the
mail not yet sent."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import click

from app.errors import command_path
from app.folder import SharedFolder
from archive.casefolder import case_folder
from archive.page_words import DEADLINE_STATUS
from closedloop.cli.common import (
    echo_json,
    errors,
    fail,
    json_option,
    now,
    now_option,
    opened,
    pad,
    root_argument,
)
from closedloop.cli.group import cli
from filing.records import Case
from filing.states import STATE_WORDS, CaseState
from filing.status import case_status, case_summary, is_overdue
from filing.words import (
    category_label,
    day_or_minute,
    deadline_words,
    department_name,
    form_title,
    minute,
    state_words,
    where_it_stands,
)
from forms.shown import shown
from language import LANGUAGES, N_, _, formats, in_language


@cli.command("status")
@root_argument
@click.argument("case_id", metavar="CASE")
@json_option
@now_option
def status_cmd(root: Path, case_id: str, as_json: bool, clock: str | None) -> None:
    """Where case CASE stands: state, what it waits for, forms filed and issued, deadlines."""
    with errors(as_json), opened(root) as app:
        case_id = case_number(case_id)
        case = app.registry.case(case_id)
        if case is None:
            fail(
                _("there is no case {case}; list the cases with `closedloop cases {root}`").format(
                    case=case_id, root=command_path(root)
                ),
                as_json,
            )
        where = case_folder(app.folder.archive, case.case_id, case.customer)
        data = case_status(
            app.registry,
            case,
            app.settings.policy,
            app.calendar,
            now(clock),
            str(where.relative_to(app.folder.root)) if where.exists() else None,
        )
    if as_json:
        echo_json(data)
        return
    for line in _status_lines(data, case, app.settings.policy.outboxes, app.folder):
        click.echo(line)


# A case number as people type it: cc-2026-1, CC 2026 0001, full-width ＣＣ－２０２６－１.
_TYPED_CASE = re.compile(r"^CC[-\s]?(\d{4})[-\s]?(\d{1,8})$")


def case_number(typed: str) -> str:
    """The case number `typed` means (`cc-2026-1` is CC-2026-0001); as typed when it is no
    case number, for the refusal to name."""
    text = unicodedata.normalize("NFKC", typed).strip().upper()
    found = _TYPED_CASE.match(text)
    return f"CC-{found[1]}-{int(found[2]):04d}" if found else typed


def _status_lines(
    data: dict[str, Any], case: Case, outboxes: Mapping[str, str], folder: SharedFolder
) -> list[str]:
    """`closedloop status` as text: the words a person reads (labels, outbox names, times
    to the minute), where --json keeps the ids and the seconds."""
    department = department_name(outboxes, case.department) or _("not routed")
    lines = [
        f"{data['case_id']}  {where_it_stands(case.state, case.resolution)}",
        f"  {shown(data['customer'] or '')} · {shown(data['product'] or '')} · "
        f"{category_label(case.category)} · {department}",
    ]
    if data["outstanding"]:
        waiting = _(", ").join(form_title(f) for f in data["outstanding"])
        lines.append("  " + _("waiting for: {forms}").format(forms=waiting))
    for d in data["deadlines"]:
        status = d["status"]
        if status == "overdue" and case.state == CaseState.CLOSED:
            status = "missed"  # a closed case can no longer meet it
        met = f" {day_or_minute(d['met_at'])}" if d["met_at"] else ""
        due = _("due {when}").format(when=minute(d["due"]))
        said = _(DEADLINE_STATUS[status]) if status in DEADLINE_STATUS else status
        lines.append(f"  {pad(deadline_words(d['name']), 24)} {due}  {said}{met}")
    for f in data["filed"]:
        filed = _("filed  {when}  {form}, version {version}: {file}")
        lines.append(
            "  "
            + filed.format(
                when=minute(f["filed_at"]),
                form=form_title(f["form"]),
                version=f["version"],
                file=shown(f["file"]),
            )
        )
    for i in data["issued"]:
        issued = _("issued {form} to {department}: {file}")
        lines.append(
            "  "
            + issued.format(
                form=form_title(i["form"]),
                department=department_name(outboxes, i["department"]),
                file=shown(_where_now(folder, i["file"])),
            )
        )
    return lines


def _where_now(folder: SharedFolder, issued: str) -> str:
    """Where an issued form is now: the top of its outbox while owed, Done/ once not."""
    sent = PurePosixPath(issued)
    done = sent.parent / folder.names.done / sent.name
    root = folder.root
    if not os.path.lexists(root / sent) and os.path.lexists(root / done):
        return done.as_posix()
    return issued


def _state_meant(written: str) -> str:
    """The state `--state` names: its id, or its words as `cases` shows them in any language
    closedloop is written in (the whole, the part before a colon, or the start of just one)."""
    listed = [s for s in CaseState if s != CaseState.NEW]
    word = written.strip().casefold()
    found: dict[str, set[str]] = {"whole": set(), "start": set()}
    for state in listed:
        said = [in_language(lang, STATE_WORDS[state]).casefold() for lang in LANGUAGES]
        if word == state.value or any(word in (w, re.split("[:：]", w)[0]) for w in said):
            found["whole"].add(state.value)
        elif len(word) >= 2 and any(w.startswith(word) for w in said):
            found["start"].add(state.value)
    for meant in (found["whole"], found["start"]):
        if len(meant) == 1:
            return meant.pop()
    choices = ", ".join(f"{state_words(s)} ({s.value})" for s in listed)
    raise click.UsageError(
        _("--state {state}: no such state; write one of {choices}").format(
            state=written, choices=choices
        )
    )


@cli.command("cases")
@root_argument
@click.option(
    "--state",
    metavar="STATE",
    help="Only the cases in this state: awaiting_triage, open, awaiting_customer or closed, "
    "or the state as `cases` shows it, in any language (Awaiting triage, 待判定, 处理中).",
)
@click.option("--overdue", is_flag=True, help="Only cases with a deadline past due and not met.")
@click.option(
    "--site",
    metavar="CODE",
    help="On a registry several sites share: only the cases of this site (all sites' by default).",
)
@json_option
@now_option
def cases_cmd(
    root: Path,
    state: str | None,
    overdue: bool,
    site: str | None,
    as_json: bool,
    clock: str | None,
) -> None:
    """List the cases, one line (or JSON object) each: on a shared registry, the whole
    register, each case with its site."""
    with errors(as_json), opened(root) as app:
        moment = now(clock)
        state = None if state is None else _state_meant(state)
        shared = app.settings.registry.shared
        if site is not None and not shared:
            raise click.UsageError(
                _("--site: this folder's registry is its own ([registry] url is not set)")
            )
        if site is not None:
            site = site.strip().upper()  # codes are capitals: `wx` means WX
            known = sorted({s.site for s in app.registry.sites()})
            if site not in known:
                raise click.UsageError(
                    _(
                        "--site {site}: no such site on the shared registry; its sites: {sites}"
                    ).format(site=site, sites=", ".join(known) or "-")
                )
        rows = []
        chosen = app.registry.cases(state, site=site, every_site=shared and site is None)
        for case in chosen:
            late = is_overdue(case, app.settings.policy, app.calendar, moment)
            if overdue and not late:
                continue
            rows.append({**case_summary(case), "overdue": late, "site": case.site})
    if as_json:
        for row in rows:
            if not shared:
                del row["site"]  # as before sites: one folder, one register
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        filtered = state is not None or overdue or site is not None
        click.echo(_("No cases match.") if filtered else _("No cases yet."))
    for row in rows:
        flag = "  " + _("OVERDUE") if row["overdue"] else ""
        where = f"{pad(row['site'], 8)} " if shared else ""
        click.echo(
            f"{row['case_id']}  {where}{pad(state_words(row['state']), 30)} "
            f"{pad(shown(row['customer'] or ''), 24)} {shown(row['product'] or '')}{flag}"
        )


@cli.command("mail")
@root_argument
@json_option
@click.option("--retry", is_flag=True, help="Make every unsent mail due now, given up or not.")
@now_option
def mail_cmd(root: Path, as_json: bool, retry: bool, clock: str | None) -> None:
    """The e-mails not sent yet: waiting for their next try, or given up, with the reason.
    After mending [mail] (or an address), --retry has the service (or the next ingest)
    send them all again."""
    with errors(as_json), opened(root) as app:
        again = app.registry.mail_retry(now(clock)) if retry else 0
        waiting = [m for m in app.registry.mails() if m.sent_at is None]
        mail_on = app.settings.mail.enabled
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
        echo_json({"unsent": rows, "retried": again})
        return
    for r in rows:
        line = _("{subject} to {to}: {count} tries").format(
            subject=r["subject"], to=r["to"], count=r["attempts"]
        )
        if r["error"]:
            line += _(", last: {error}").format(error=r["error"])
        if r["state"] == "waiting":
            line += _("; next {when}").format(when=minute(str(r["next_try"])))
        click.echo(f"{pad(_(MAIL_STATE[str(r['state'])]), 8)} {line}")
    if retry:
        click.echo(
            _("{count} mails are due again; the service (or the next ingest) sends them.").format(
                count=formats.number(again)
            )
        )
    elif not rows and mail_on:
        click.echo(_("Every mail has been sent."))
    if not mail_on:  # "every mail has been sent" would say that mail works
        click.echo(_("Mail is not set up ([mail] host is empty): no e-mail is sent."))


#: An unsent mail's state as people read it (--json keeps the words of the left side).
MAIL_STATE = {"waiting": N_("waiting"), "given up": N_("given up")}
