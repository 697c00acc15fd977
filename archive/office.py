"""A resident LibreOffice: found through the shared folder's .closedloop, and used.

`closedloop office ROOT` (archive/office_server.py) keeps one LibreOffice running for the
folder, behind unoserver's XML-RPC server on a loopback port, and records where it runs
in `.closedloop/office.json`. Whatever renders (the closure packet's Renderer) looks
there first: a record whose process is gone, or whose port does not answer, is taken
for what it is (no office), and rendering falls back to a LibreOffice of its own. A
document goes over the wire and its PDF comes back (unoserver's `convert` with `indata`),
so the office needs no access to the caller's files: under systemd each service has a
/tmp of its own.

The record, and whether its process lives, is archive/office_record.py.
"""

from __future__ import annotations

import http.client
import xml.parsers.expat
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.office_record import HOST, OfficeError, alive, read_record
from language import _

#: unoserver's protocol version that its `convert` and `info` calls below are written for.
API = "3"
#: LibreOffice's import filter of each kind of form: a document sent as bytes reaches it
#: as a file without a name, so the filter is named rather than guessed.
IMPORT_FILTERS = {".docx": "MS Word 2007 XML", ".xlsx": "Calc MS Excel 2007 XML"}


class DocumentRefused(OfficeError):
    """The office answered, but made no PDF of this document (the office itself is fine)."""


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
