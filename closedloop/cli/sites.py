"""The sites of a shared registry: which shared folder each site code is, and taking a code
given by mistake off the register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from closedloop.cli.common import echo_json, errors, json_option, opened, pad, root_argument
from closedloop.cli.group import cli
from filing.registry import Registry
from language import _, ngettext


def _held(table: str, count: int) -> str:
    """What a site holds on the registry, in words (filing/registry/sites.py's tables)."""
    if table == "cases":
        return ngettext("{count} case", "{count} cases", count).format(count=count)
    if table == "issued":
        return ngettext("{count} issued form", "{count} issued forms", count).format(count=count)
    if table == "pending":
        return ngettext(
            "{count} filing being carried out", "{count} filings being carried out", count
        ).format(count=count)
    if table == "quarantined":
        return ngettext("{count} refusal", "{count} refusals", count).format(count=count)
    if table == "mail":
        return ngettext("{count} mail", "{count} mails", count).format(count=count)
    return ngettext(
        "{count} link of its history chain", "{count} links of its history chain", count
    ).format(count=count)


@cli.command("sites")
@root_argument
@click.option(
    "--retire",
    metavar="CODE",
    help="Take site CODE off the register: a code given by mistake, which has nothing on "
    "the registry (no case, refusal, mail or history). A site with cases stays.",
)
@json_option
def sites_cmd(root: Path, retire: str | None, as_json: bool) -> None:
    """The sites of the registry ROOT's settings name ([registry] url): each site's code,
    its shared folder and host, when it joined and its cases; this folder's marked."""
    with errors(as_json), opened(root) as app:
        if not app.settings.registry.shared:
            raise click.UsageError(
                _(
                    "{root}: this folder's registry is its own ([registry] url is not set): "
                    "it has no sites"
                ).format(root=root)
            )
        registry = app.registry
        if retire is not None:
            said = _retire(registry, retire.strip().upper())
            if as_json:
                echo_json({"retired": retire.strip().upper()})
            else:
                click.echo(said)
            return
        rows: list[dict[str, Any]] = [
            {
                "site": s.site,
                "root": s.root,
                "host": s.host,
                "joined_at": s.joined_at,
                "cases": registry.site_holdings(s.site).get("cases", 0),
                "this": s.site == registry.site,
            }
            for s in registry.sites()
        ]
    if as_json:
        echo_json({"sites": rows})
        return
    for row in rows:
        mark = "  " + _("(this folder)") if row["this"] else ""
        cases = _held("cases", row["cases"])
        click.echo(
            f"{pad(str(row['site']), 8)} {pad(cases, 12)} {row['host']}:{row['root']}"
            f"  {_('joined {when}').format(when=row['joined_at'])}{mark}"
        )


def _retire(registry: Registry, code: str) -> str:
    """Retire site `code`, or raise UsageError saying why it stays."""
    known = {s.site: s for s in registry.sites()}
    if code not in known:
        raise click.UsageError(
            _("--retire {site}: no such site on the shared registry; its sites: {sites}").format(
                site=code, sites=", ".join(sorted(known)) or "-"
            )
        )
    if code == registry.site:
        raise click.UsageError(
            _(
                "--retire {site}: that is this folder's site ([registry] site); run it from "
                "another site's folder, or give this folder its right code first"
            ).format(site=code)
        )
    held = registry.retire(code)
    if held:
        what = ", ".join(_held(table, count) for table, count in held.items())
        raise click.UsageError(
            _(
                "--retire {site}: the site still has {what} on the shared registry; a site's "
                "cases and their records are the group's, and stay with its code"
            ).format(site=code, what=what)
        )
    was = known[code]
    return _("site {site} retired (it was {root} on {host}, joined {when})").format(
        site=code, root=was.root, host=was.host, when=was.joined_at
    )
