"""The `closedloop` command: parse, call the library, render text or JSON, map errors to
exit codes (closedloop/cli/common.py). One module per kind of command, loaded when its
command is run (closedloop/cli/group.py MODULES)."""

from __future__ import annotations

from closedloop.cli.group import cli


def main() -> None:
    cli(prog_name="closedloop")


__all__ = ["cli", "main"]
