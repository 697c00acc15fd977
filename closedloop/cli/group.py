"""The `closedloop` command group, which each command module adds its commands to.

A command on a shared folder (its first argument, ROOT) speaks the folder's language
(`[company] language` of its settings): what it prints, its errors, and everything the
library says while it runs. A command on no folder, and click's own help and usage
errors, speak English. JSON answers keep ids and ISO times in any language."""

from __future__ import annotations

from typing import Any

import click

from closedloop.cli.common import folder_settings


class FolderCommand(click.Command):
    """A command that speaks the language of the shared folder ROOT it is given."""

    def invoke(self, ctx: click.Context) -> Any:
        on_folder = any(isinstance(p, click.Argument) and p.name == "root" for p in self.params)
        root = ctx.params.get("root") if on_folder else None
        with folder_settings(root).speaking():
            return super().invoke(ctx)


class Commands(click.Group):
    """The group: its commands, and those of its groups, are FolderCommands."""

    command_class = FolderCommand
    group_class = type


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="closedloop")
def cli() -> None:
    """closedloop runs the customer-complaint loop through Word and Excel forms.

    Every command that works on a shared folder takes it as its first argument, ROOT."""
