"""The `closedloop` command: parse, call the library, render text or JSON, map errors to
exit codes (closedloop/cli/common.py). One module per kind of command."""

from __future__ import annotations

from closedloop.cli import archive, cases, folder, forms, office, reports  # noqa: F401 - they add commands
from closedloop.cli.group import cli


def main() -> None:
    cli(prog_name="closedloop")


__all__ = ["cli", "main"]
