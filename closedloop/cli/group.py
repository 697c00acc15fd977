"""The `closedloop` command group, which each command module adds its commands to.

A command on a shared folder (its first argument, ROOT) speaks the folder's language
(`[company] language` of its settings): what it prints, its errors, and everything the
library says while it runs. A command on no folder, and click's own help and usage
errors, speak English. JSON answers keep ids and ISO times in any language."""

from __future__ import annotations

import importlib
from typing import Any

import click

#: Each command's module, imported only when the command is run (or the commands are
#: listed): `closedloop packet` handed to the folder's office loads click and little
#: more, where loading every command's library took most of a second.
MODULES = {
    "init": "folder",
    "ingest": "folder",
    "watch": "folder",
    "doctor": "folder",
    "demo": "folder",
    "status": "cases",
    "cases": "cases",
    "mail": "cases",
    "packet": "packet",
    "verify": "archive",
    "rebuild": "archive",
    "close-quarter": "archive",
    "index": "archive",
    "forms": "forms",
    "read": "forms",
    "office": "office",
    "report": "reports",
    "sites": "sites",
}


class FolderCommand(click.Command):
    """A command that speaks the language of the shared folder ROOT it is given."""

    def invoke(self, ctx: click.Context) -> Any:
        from closedloop.cli.common import folder_settings  # the settings' reader: not light

        on_folder = any(isinstance(p, click.Argument) and p.name == "root" for p in self.params)
        root = ctx.params.get("root") if on_folder else None
        with folder_settings(root).speaking():
            return super().invoke(ctx)


class Commands(click.Group):
    """A group whose commands, and those of its groups, are FolderCommands."""

    command_class = FolderCommand
    group_class: type[click.Group] | type[type] | None = type


class TopCommands(Commands):
    """`closedloop` itself: each command loaded from its module (MODULES) when it is first
    asked for."""

    group_class = Commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"closedloop.cli.{module}")  # its decorators add it
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand:
            # click's "Did you mean" looks among the commands loaded: name them all.
            raise click.exceptions.NoSuchCommand(
                click.utils.make_str(args[0]), possibilities=list(MODULES), ctx=ctx
            ) from None

    def every_command(self) -> dict[str, click.Command]:
        """All the commands, each module loaded (the README's table, the tests)."""
        for name in MODULES:
            self.get_command(click.Context(self), name)
        return dict(self.commands)


@click.group(cls=TopCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="closedloop")
def cli() -> None:
    """closedloop runs the customer-complaint loop through Word and Excel forms.

    Every command that works on a shared folder takes it as its first argument, ROOT."""
