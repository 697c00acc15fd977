"""A resident LibreOffice: found through the shared folder's .closedloop, and used.

`closedloop office ROOT` (archive/office_server.py) keeps one LibreOffice running for the
folder, behind unoserver's XML-RPC server on a loopback port, and records where it runs
in `.closedloop/office.json`. Whatever renders (the closure packet's Renderer) looks
there first: a record whose process is gone, or whose port does not answer, is taken
for what it is (no office), and rendering falls back to a LibreOffice of its own. A
document goes over the wire and its PDF comes back (unoserver's `convert` with `indata`),
so the office needs no access to the caller's files: under systemd each service has a
/tmp of its own.

The record is read and written without following a link: a record made a link is no
record (and `closedloop office` refuses to write over it).
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import os
import secrets
import stat
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from language import _

RECORD = "office.json"  # in .closedloop: where the folder's office runs
LOCK = "office.lock"  # in .closedloop: held by the one `closedloop office` of the folder
PROFILE = "office"  # in .closedloop: the resident LibreOffice's own profile
HOST = "127.0.0.1"  # loopback only: the office converts whatever it is sent
#: unoserver's protocol version that its `convert` and `info` calls below are written for.
API = "3"
#: LibreOffice's import filter of each kind of form: a document sent as bytes reaches it
#: as a file without a name, so the filter is named rather than guessed.
IMPORT_FILTERS = {".docx": "MS Word 2007 XML", ".xlsx": "Calc MS Excel 2007 XML"}
_POSIX = os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_RECORD_BYTES = 64 * 1024


class OfficeError(ArchiveError):
    """The resident office cannot be run or used; the message says why and what to do."""


class DocumentRefused(OfficeError):
    """The office answered, but made no PDF of this document (the office itself is fine)."""


@dataclass(frozen=True)
class OfficeRecord:
    """Where a folder's office runs: `pid` is the `closedloop office` process that owns
    the record (and stops the office), `server_pid` its unoserver, `port` unoserver's
    XML-RPC port, `uno_port` LibreOffice's own, `started` when it was started (ISO 8601),
    `state` "starting" until it first answers, then "running"."""

    pid: int
    server_pid: int
    port: int
    uno_port: int
    started: str
    state: str = "running"
    host: str = HOST

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> OfficeRecord | None:
        """The record, or None for anything else (a record half made by hand, say)."""
        if not isinstance(data, dict):
            return None
        ints = ("pid", "server_pid", "port", "uno_port")
        if not all(type(data.get(k)) is int and data[k] > 0 for k in ints):
            return None
        if not isinstance(data.get("started"), str) or data.get("host", HOST) != HOST:
            return None
        return cls(data["pid"], data["server_pid"], data["port"], data["uno_port"], data["started"])


@contextlib.contextmanager
def state_folder(state: Path) -> Iterator[int]:
    """A handle on .closedloop, refused when it is a link (writing there could land
    anywhere)."""
    try:
        fd = os.open(state, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OfficeError(
                _("{state} is a link or not a folder; closedloop never follows one").format(
                    state=state
                )
            ) from None
        raise OfficeError(
            _("{state} cannot be opened ({why})").format(state=state, why=exc.strerror or exc)
        ) from None
    try:
        yield fd
    finally:
        os.close(fd)


def refuse_link(fd: int, name: str, state: Path) -> None:
    """Refuse `name` in the folder `fd` when it is a link: the office writes only its own."""
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise OfficeError(
            _(
                "{path} is a link; closedloop never follows one: remove it, and start the "
                "office again"
            ).format(path=state / name)
        )


def read_record(state: Path) -> OfficeRecord | None:
    """The record in `state` (.closedloop), or None: none, a link, not a record."""
    if not _POSIX:
        return None  # the office runs on Linux, beside Debian's python3-uno
    try:
        with state_folder(state) as folder:
            fd = os.open(RECORD, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
    except (OfficeError, OSError):
        return None  # missing, a link (ELOOP), unreadable: there is no office to use
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _RECORD_BYTES:
            return None
        try:
            return OfficeRecord.from_json(json.loads(fh.read(_RECORD_BYTES)))
        except (OSError, ValueError):
            return None


def write_record(state: Path, record: OfficeRecord) -> None:
    """Put the record in place atomically (a reader sees the old one or the new one,
    never half of one), without following a link at .closedloop or at the record."""
    data = json.dumps(record.to_json(), indent=2).encode() + b"\n"
    with state_folder(state) as folder:
        refuse_link(folder, RECORD, state)
        tmp = f".{RECORD}.{secrets.token_hex(6)}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # rename replaces whatever is at the name (a link put there meanwhile too);
            # it never writes through it.
            os.replace(tmp, RECORD, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise


def remove_record(state: Path, pid: int) -> None:
    """Remove the record if it is the one process `pid` wrote (a later office's stays)."""
    record = read_record(state)
    if record is None or record.pid != pid:
        return
    with contextlib.suppress(OfficeError, OSError), state_folder(state) as folder:
        os.unlink(RECORD, dir_fd=folder)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed and not yet reaped, does not)."""
    if pid <= 0:
        return False  # kill(0) and kill(-1) would mean whole groups
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's: it exists
    try:
        # The state is the field after the command's name, which is in parentheses.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] not in ("Z", "X")


class _Transport(xmlrpc.client.Transport):
    """xmlrpc.client's HTTP transport with a timeout: an office that hangs is given up."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


# What a call can end with when the office is not (or no longer) there: refused or reset
# connections and timeouts (OSError), an HTTP or XML-RPC error, an answer that is not XML.
_GONE = (OSError, http.client.HTTPException, xmlrpc.client.Error, xml.parsers.expat.ExpatError)


@dataclass(frozen=True)
class OfficeClient:
    """unoserver's XML-RPC server on `port` (the calls of its own client, unoserver/client.py)."""

    port: int
    host: str = HOST

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(
            f"http://{self.host}:{self.port}", transport=_Transport(timeout), allow_none=True
        )

    def answers(self, timeout: float = 2.0) -> bool:
        """Whether an unoserver that speaks our protocol answers on the port."""
        try:
            info = self._proxy(timeout).info()
        except _GONE:
            return False
        return isinstance(info, dict) and info.get("api") == API

    def convert(self, data: bytes, suffix: str, timeout: float) -> bytes:
        """The PDF of a document (`suffix` says its kind). DocumentRefused when the office
        made none of it; OfficeError when the office did not answer in time or at all."""
        try:
            result = self._proxy(timeout).convert(
                None,  # inpath: the document goes as bytes
                xmlrpc.client.Binary(data),
                None,  # outpath: the PDF comes back as bytes
                "pdf",
                None,  # the export filter: LibreOffice's PDF filter for the document's kind
                [],
                False,  # update_index: as `soffice --convert-to pdf`, which does not either
                IMPORT_FILTERS.get(suffix.lower()),
                None,  # no password: a protected form is refused long before a packet
            )
        except xmlrpc.client.Fault as exc:
            raise DocumentRefused(
                _("the office made no PDF of it ({why})").format(why=_last_line(exc.faultString))
            ) from None
        except _GONE as exc:
            raise OfficeError(
                _("the office on port {port} did not answer ({why})").format(
                    port=self.port, why=exc
                )
            ) from None
        if not isinstance(result, xmlrpc.client.Binary) or not result.data.startswith(b"%PDF"):
            raise DocumentRefused(_("the office answered with something that is not a PDF"))
        return result.data


def _last_line(text: str) -> str:
    """The gist of a fault from the office: its last line, bounded."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else text)[:300]


def running_office(state: Path) -> OfficeClient | None:
    """The office the record in `state` names, if its process runs and it answers; None
    otherwise (no record, a stale one, an office that died or hangs)."""
    record = read_record(state)
    if record is None or record.state != "running":
        return None
    if not alive(record.pid) or not alive(record.server_pid):
        return None
    client = OfficeClient(record.port, record.host)
    return client if client.answers() else None
