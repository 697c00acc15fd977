"""`closedloop packet`: a case's closure packet. Handed to the folder's office when one
runs (closedloop/desk: its process has the library loaded and LibreOffice warm, and
answers in the folder's language); built here otherwise, or when it cannot.

This module loads click and the desk's client only: the library is loaded when the
packet is built here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from closedloop.cli.group import cli
from closedloop.cli.options import now_option, root_argument
from closedloop.desk.client import ask


@cli.command("packet", cls=click.Command)  # it says things in the folder's language itself
@root_argument
@click.argument("case_id", metavar="CASE")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the PDF here instead of into the case folder (a sealed case's folder is read-only).",
)
@now_option
def packet_cmd(root: Path, case_id: str, out: Path | None, clock: str | None) -> None:
    """Build CASE's closure packet: a cover with the summary, deadlines and timeline, every
    filed form rendered by LibreOffice, the originals attached."""
    # A CASE that is not UTF-8 (its bytes kept as lone surrogates) is no case number: its
    # bytes are replaced, so that the registry can be asked and every message written.
    case_id = case_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    answer = ask(root, case_id, out, clock)
    if answer is not None and answer.lost_by is None and answer.pdf is not None and out is not None:
        from forms.atomicfile import atomic_write_bytes  # light: os, json

        try:
            atomic_write_bytes(out, answer.pdf)  # the desk built it; the command writes it
        except OSError as exc:
            _said_here(root, exc)  # in the folder's language, as any command says it
        click.echo(answer.text)
        return
    if answer is not None and answer.lost_by is None:
        click.echo(answer.text, err=not answer.ok)
        sys.exit(answer.exit_code)
    from closedloop.cli.common import errors, fail, folder_settings
    from closedloop.desk.job import make_packet
    from forms.atomicfile import atomic_write_bytes
    from language import _

    with folder_settings(root).speaking():
        if answer is not None and answer.lost_by is not None:  # taken, no word back: filed?
            fail(
                _(
                    "process {pid}, which builds the folder's packets, took the packet of "
                    "{case_id} and gave no answer; see its log, and `closedloop status "
                    "{root} {case_id}` for whether it was filed"
                ).format(pid=answer.lost_by, case_id=case_id, root=root)
            )
        with errors():
            pdf, where = make_packet(root, case_id, clock, into_folder=out is None)
            if out is not None:
                atomic_write_bytes(out, pdf)
                where = out
            click.echo(_("Wrote {where}").format(where=where))


def _said_here(root: Path, exc: OSError) -> NoReturn:
    from closedloop.cli.common import errors, folder_settings

    with folder_settings(root).speaking(), errors():
        raise exc
    raise AssertionError("errors() exits")  # pragma: no cover
