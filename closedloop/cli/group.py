"""The `closedloop` command group, which each command module adds its commands to."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="closedloop")
def cli() -> None:
    """closedloop runs the customer-complaint loop through Word and Excel forms.

    Every command that works on a shared folder takes it as its first argument, ROOT."""
