"""What goes wrong with the registry file, as errors that say what to do."""

from __future__ import annotations

from filing.errors import FilingError


class RegistryError(FilingError):
    """The registry file cannot be used."""


class DiskFull(RegistryError):
    """The disk holding the registry is full: nothing was recorded, nothing is broken."""


class RegistryMissing(RegistryError):
    """The registry file is not there (deleted, lost with a disk)."""


class RegistryUnreachable(RegistryError):
    """The shared registry's database cannot be reached for now (the server restarted, the
    network dropped): nothing was recorded, and the same files go in once it answers."""
