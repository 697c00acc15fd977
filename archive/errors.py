"""Errors of the archive package."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base error of the archive package: the message names the folder or file and the fix."""
