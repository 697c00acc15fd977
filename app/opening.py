"""Opening a shared folder's registry without ever making a second numbering.

The registry is derived from the archive, but it also holds the case numbering. Made anew
beside an archive that already has case folders, it would give CC-2026-0001 again. So a
missing registry over a non-empty archive is refused with the way out (`rebuild`), and
at every opening the numbering is lifted to at least the highest case number the
archive's folder names show.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import uuid
from datetime import datetime
from pathlib import Path

from app.archive_numbers import NUMBERS, archive_case_numbers
from app.errors import AppError
from app.folder import SharedFolder
from app.settings.model import RegistrySettings
from archive.auditor import DATA, GROUP_DATA, PAGES
from filing.registry import Registry, RegistryError, RegistryMissing, Site
from filing.registry.database import shown_url
from language import _


# Case numbers closedloop gives: a year, and four to nine ASCII digits. A folder someone made as
class LinkedFolder(AppError):
    """A folder closedloop writes into is a link: writing there could land anywhere."""


def folders_written(folder: SharedFolder) -> list[Path]:
    """The folders closedloop writes into, the shared folder's own below its root."""
    places = [
        folder.inbox,
        folder.outbox,
        folder.archive,
        folder.archive / PAGES,
        folder.archive / PAGES / DATA,
        folder.archive / PAGES / GROUP_DATA,
        folder.quarantine,
        folder.reports,
        folder.blank_forms,
        folder.state,
        folder.state / "staging",
    ]
    places.append(folder.settled)
    with contextlib.suppress(OSError), os.scandir(folder.outbox) as entries:
        places += [p for e in entries for p in (Path(e.path), Path(e.path) / folder.names.done)]
    return places


def files_written(folder: SharedFolder) -> list[Path]:
    """The files of .closedloop that SQLite and closedloop open by name."""
    registry = folder.registry
    return [
        registry,
        *(registry.with_name(registry.name + side) for side in ("-journal", "-wal", "-shm")),
        folder.state / "libreoffice",
        folder.state / NUMBERS,
    ]


def _linked(info: os.stat_result) -> bool:
    """A link, or a Windows junction (a reparse point)."""
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_file_attributes", 0) & 0x400)


def refuse_links(folder: SharedFolder) -> None:
    """Refuse to work on a shared folder where one of the folders closedloop writes into
    is a link (or a Windows junction): someone made it lead elsewhere, and every file put
    there would go outside. A missing folder is not refused here (init or the first
    write makes it)."""
    for place in files_written(folder):
        try:
            info = os.lstat(place)
        except OSError:
            continue
        if _linked(info) or (place == folder.registry and stat.S_ISDIR(info.st_mode)):
            what = (
                _("a link to {target}").format(target=os.path.realpath(place))
                if _linked(info)
                else _("a folder")
            )
            raise LinkedFolder(
                _(
                    "{place}: this is not the registry's own file (it is {what}); closedloop "
                    "reads and writes its registry only in .closedloop and has stopped. Remove "
                    "it, then make the registry again: `closedloop rebuild {root}`"
                ).format(place=place, what=what, root=folder.root)
            )
    for place in folders_written(folder):
        try:
            info = os.lstat(place)
        except OSError:
            continue
        if _linked(info):
            raise LinkedFolder(
                _(
                    "{place}: this folder is a link to {target}; closedloop writes only into "
                    "real folders of the shared folder and has stopped. Replace the link with a "
                    "real folder (move what it holds into it), then start again"
                ).format(place=place, target=os.path.realpath(place))
            )


#: The file in .closedloop that names the folder to a shared registry.
FOLDER_ID = "folder-id"


class SiteTaken(RegistryError):
    """The site code is another shared folder's on the shared registry."""


def folder_identity(folder: SharedFolder) -> str:
    """The folder's own identity, made once (.closedloop/folder-id): a shared registry
    knows each site's folder by it, whatever path or server the share is reached by."""
    path = folder.state / FOLDER_ID
    for _attempt in range(3):
        try:
            with open(path, "rb", opener=_no_follow) as fh:
                return str(uuid.UUID(fh.read(100).decode("ascii", "replace").strip()))
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            # Not a file of ours, or cut short before it was ever used (it is written and
            # synced before the registry hears of it): made again.
            path.unlink(missing_ok=True)
        identity = str(uuid.uuid4())
        folder.state.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        except FileExistsError:
            continue  # another process of this folder made it first: read theirs
        try:
            os.write(fd, (identity + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        # Its name too, before the registry hears of it: lost in a crash, the folder
        # would come back as a stranger to its own site.
        folder_fd = os.open(folder.state, os.O_RDONLY | _NOFOLLOW)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
        return identity
    raise SiteTaken(_("{path}: the folder's identity cannot be written").format(path=path))


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | _NOFOLLOW)


def shown_registry(folder: SharedFolder, where: RegistrySettings) -> str:
    """The registry as a message names it: its file, or the shared database (no password)."""
    return shown_url(where.url) if where.shared else str(folder.registry)


def join_site(registry: Registry, folder: SharedFolder, now: datetime) -> None:
    """Record this folder as its site on the shared registry; refused (SiteTaken) when the
    code is already another folder's: two folders filing as one site would take each
    other's journal plans, quarantine and mail."""
    mine = folder_identity(folder)
    here, host = folder.root.resolve(), socket.gethostname()
    before = registry.site_record(registry.site)
    if before is not None and before.folder == mine and _still_there(before, here, host, mine):
        raise SiteTaken(
            _(
                "{root}: this folder is a copy of {other}, which is still there with the same "
                ".closedloop/folder-id and is site {site}; nothing was filed. Two folders "
                "filing as one site would each miss the other's cases. Work in {other}; or, "
                "to make this folder a site of its own, remove its .closedloop/folder-id "
                "and give it its own site code in its settings ([registry] site)"
            ).format(root=here, other=before.root, site=registry.site)
        )
    record = registry.join(mine, host, str(here), now)
    if record.folder != mine:
        raise SiteTaken(
            _(
                "{root}: site {site} on the shared registry is already the site of another "
                "shared folder ({other} on {host}, since {since}); nothing was filed. Give "
                "this folder its own site code in its settings ([registry] site), or, if "
                "this is that folder moved, copy its .closedloop/folder-id here"
            ).format(
                root=folder.root,
                site=registry.site,
                other=record.root,
                host=record.host,
                since=record.joined_at,
            )
        )


def _still_there(record: Site, here: Path, host: str, mine: str) -> bool:
    """Whether the folder the site was last opened from is another folder on this machine
    that still holds the same identity (a copy is being opened, not a folder moved)."""
    if record.host != host or record.root == str(here):
        return False
    there = Path(record.root)
    try:
        if there.resolve() == here or there.samefile(here):
            return False
        held = (there / ".closedloop" / FOLDER_ID).read_text(encoding="ascii").strip()
    except OSError:
        return False  # gone: this is the folder, moved
    return held == mine


def open_site(folder: SharedFolder, where: RegistrySettings, now: datetime) -> Registry:
    """The shared registry `where` names, with this folder joined as its site (SiteTaken
    when another folder is that site)."""
    registry = Registry(folder.registry, create=True, url=where.url, site=where.site)
    try:
        join_site(registry, folder, now)
    except BaseException:
        registry.close()
        raise
    return registry


def registry_to_read(folder: SharedFolder, where: RegistrySettings) -> Registry:
    """The folder's registry for a command that only reads it (verify, doctor): never
    made nor joined here (RegistryMissing when there is none: a made one would hide a lost
    one)."""
    if where.shared:
        return Registry(folder.registry, create=False, url=where.url, site=where.site)
    return Registry(folder.registry, create=False)


def open_registry(
    folder: SharedFolder, where: RegistrySettings | None = None, now: datetime | None = None
) -> Registry:
    """The folder's registry (its SQLite file, or the shared one `where` names), refused
    (RegistryMissing) when it is missing over an archive that holds cases; its numbering
    kept above every case number in the archive. A folder closedloop writes into that is
    a link is refused first (LinkedFolder). On a shared registry this folder is its site
    (SiteTaken when another folder is)."""
    where = where or RegistrySettings()
    refuse_links(folder)
    # The kept listing (app/archive_numbers.py) only where a registry holds this site's
    # cases: one about to be made is checked against the Archive itself, so that an edited
    # listing can never let a lost registry be made anew over numbered case folders.
    numbers = archive_case_numbers(folder.archive, folder.state)
    try:
        if where.shared:
            registry = open_site(folder, where, now or datetime.now())
            try:
                if registry.first_opened() is None:
                    numbers = archive_case_numbers(folder.archive)
                if numbers and registry.first_opened() is None and not registry.pending():
                    raise RegistryMissing(
                        _("{path}: this site has no cases on the shared registry").format(
                            path=registry.db.where
                        )
                    )
            except BaseException:
                registry.close()
                raise
        else:
            if not folder.registry.exists():
                numbers = archive_case_numbers(folder.archive)
            registry = Registry(folder.registry, create=not numbers)
    except RegistryMissing as exc:
        count = _("a case folder") if len(numbers) == 1 else _("case folders")
        what = (
            _("this database is not a closedloop registry")
            if "not a closedloop registry" in str(exc)
            else _("this site has no cases on the shared registry")
            if where.shared
            else _("the registry is missing")
        )
        fix = (
            _(
                "{registry}: {what}, but {archive} holds {count}. Nothing was filed, so that "
                "no case number is given twice. Load this site's archive into the shared "
                "registry with `closedloop rebuild {root}`, then start again (or keep this "
                "folder on its own registry: empty [registry] url)"
            )
            if where.shared
            else _(
                "{registry}: {what}, but {archive} holds {count}. Nothing was filed, so that "
                "no case number is given twice. Make the registry again from the archive with "
                "`closedloop rebuild {root}`, then start again"
            )
        )
        raise RegistryMissing(
            fix.format(
                registry=shown_registry(folder, where),
                what=what,
                archive=folder.archive,
                count=count,
                root=folder.root,
            )
        ) from None
    try:
        registry.keep_numbers_above(numbers)
    except BaseException:
        registry.close()
        raise
    return registry
