"""The closure packet: `<CASE-ID> Closure Packet.pdf` in the case folder, the case in one
document for the customer file and the auditor.

- A cover, starting on page 1 with its title (archive/packet_cover.py says what it holds:
  the case in words, deadlines, responsibility and costs, the customer's ratings and
  comments, the sign-offs, the timeline), set by WeasyPrint.
- Every filed form, rendered to PDF by LibreOffice (they are Word and Excel files): by the
  folder's resident office when one runs (`closedloop office`, archive/office.py), else
  all the forms of a packet in one LibreOffice process, not one process per file.
- The originals embedded as attachments, and an outline entry per document.

A form LibreOffice cannot render is named on the cover, never left out in silence; its
original is still attached. An original that is not in the case folder as it was filed (a
link to a file elsewhere, a FIFO, bytes that are not the ones filed) is neither rendered
nor attached, and a page after the cover names it: the packet never carries bytes from
outside the Archive (it is read with O_NOFOLLOW | O_NONBLOCK and its hash checked). The
packet is recorded like any filing (its hash in the registry, case.json, the manifest and
the history), through the journal.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from archive.casefile import stage_case_files
from archive.casefolder import QUARTER_FOLDER, case_folder, quarter_of_folder
from archive.errors import ArchiveError
from archive.journal import journaled
from archive.listing import NEVER_FOLLOWED
from archive.nofollow import NotARegularFile, TooLarge, read_regular
from archive.office import DocumentRefused, OfficeClient, running_office
from archive.office_record import OfficeError
from archive.packet_cover import cover_html, packet_title
from archive.page_words import code, css_content, fonts
from archive.unlinked import cut_links_out
from filing.policy import Policy
from filing.registry import Event, Filing, Registry
from forms.container import MAX_FILE_BYTES
from language import _, current
from templates import render

PACKET = "{case_id} Closure Packet.pdf"


class PacketError(ArchiveError):
    """A closure packet cannot be built; the message says why and what to do."""


def original(archive: Path, folder: Path, filing: Filing) -> bytes | str:
    """The filed original's bytes as they were filed, or why the packet cannot hold them.
    Read without following a link (at any step from the Archive down) and without waiting
    on a FIFO, and held against the hash it was filed with: a file swapped for a link to
    one elsewhere, or for other bytes, is named as unavailable, never embedded."""
    try:
        data = read_regular(archive, folder.relative_to(archive) / filing.file, MAX_FILE_BYTES)
    except NotARegularFile as exc:
        return _(
            "unavailable: {what} is where the case folder should hold it; {never_followed}"
        ).format(what=exc.what, never_followed=_(NEVER_FOLLOWED))
    except TooLarge as exc:
        return _(
            "unavailable: the file in the case folder holds {size} bytes, more than a form"
        ).format(size=exc.size)
    except OSError as exc:
        return _("unavailable: it cannot be read from the case folder ({why})").format(
            why=exc.strerror or exc
        )
    if data.sha256 != filing.sha256:
        return _(
            "unavailable: the file in the case folder is not the one filed (its SHA-256 is "
            "{sha256})"
        ).format(sha256=data.sha256)
    return data.data


@dataclass
class Renderer:
    """LibreOffice headless, converting a batch of documents to PDF.

    Through the folder's resident office when one runs (`closedloop office`, found by its
    record in `office`, by default the profile's folder, .closedloop: a fraction of a
    second a document); otherwise, or for what it could not do, in one fresh LibreOffice
    process for the batch, with its own profile (kept between runs: a fresh one costs
    seconds). `used` says which did the last batch: "office", "soffice", both, or ""."""

    profile: Path
    binary: str | None = None
    timeout: float = 300.0
    office: Path | None = None
    use_office: bool = True
    #: A document's bound in the resident office; one that hangs is handed to the fallback.
    office_timeout: float = 75.0
    used: str = field(default="", init=False)

    def to_pdf(self, files: list[Path], outdir: Path) -> dict[Path, Path | str]:
        """A PDF for each file, or the reason there is none."""
        outdir.mkdir(parents=True, exist_ok=True)
        out: dict[Path, Path | str] = {}
        used = []
        resident = None
        if self.use_office and files:
            resident = running_office(self.office or self.profile.parent)
        if resident is not None:
            out.update(self._through(resident, files, outdir))
            if out:
                used.append("office")
        rest = [f for f in files if f not in out]
        if rest:
            out.update(self._fresh(rest, outdir))
            used.append("soffice")
        self.used = ", ".join(used)
        return out

    def _through(
        self, office: OfficeClient, files: list[Path], outdir: Path
    ) -> dict[Path, Path | str]:
        """The PDFs the resident office makes, written beside where LibreOffice's own
        would be. A document it refuses is left to the fallback (which says why there is
        no PDF, if it cannot make one either); an office that stops answering is left
        for the rest of the batch.

        Two documents are out at a time: while the office renders one, the next waits in
        its queue, and it never waits on this process (busy setting the cover, and
        handing its threads the interpreter only every few milliseconds)."""
        gone = threading.Event()

        def convert(f: Path) -> bytes | None:
            if gone.is_set():
                return None
            try:
                # Its bound counts the document queued before it, while the office renders
                # that one (one at a time).
                return office.convert(f.read_bytes(), f.suffix, 2 * self.office_timeout)
            except (DocumentRefused, OSError):  # OSError: the file, unreadable here
                return None
            except OfficeError:
                gone.set()
                return None

        done: dict[Path, Path | str] = {}
        with ThreadPoolExecutor(2, thread_name_prefix="packet-form") as senders:
            # A context each (one cannot be entered by two threads): the language in use.
            contexts = [contextvars.copy_context() for _ in files]
            pdfs = list(senders.map(lambda c, f: c.run(convert, f), contexts, files))
        for f, pdf in zip(files, pdfs, strict=True):
            if pdf is not None:
                target = outdir / f"{f.stem}.pdf"
                target.write_bytes(pdf)
                done[f] = target
        return done

    def _fresh(self, files: list[Path], outdir: Path) -> dict[Path, Path | str]:
        """The batch in one fresh LibreOffice process."""
        binary = self.binary or shutil.which("soffice") or shutil.which("libreoffice")
        if binary is None:
            raise PacketError(
                _(
                    "LibreOffice is needed to render forms to PDF and is not installed; "
                    "install libreoffice-writer-nogui and libreoffice-calc-nogui"
                )
            )
        self.profile.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [
                    binary,
                    f"-env:UserInstallation={self.profile.resolve().as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(outdir),
                    *map(str, files),
                ],
                capture_output=True,
                timeout=self.timeout,
                env={**os.environ, "HOME": str(self.profile.resolve())},
                check=False,
            )
            problem = _("LibreOffice made no PDF of it")
        except subprocess.TimeoutExpired:
            problem = _("LibreOffice did not finish within {seconds} s").format(
                seconds=f"{self.timeout:g}"
            )
        out: dict[Path, Path | str] = {}
        for f in files:
            pdf = outdir / f"{f.stem}.pdf"
            out[f] = pdf if pdf.is_file() and pdf.stat().st_size > 0 else problem
        return out


def render_page(html: str) -> bytes:
    """A page of the packet's own (the cover, the list of what is not in it) as PDF.

    WeasyPrint, an engine made for HTML and CSS paged media, sets them: A4, a running
    header with the case number, page numbers, CJK text. LibreOffice's HTML import, which
    renders the filed forms, lost the cover's heading and started it with a blank page."""
    try:
        # Imported here: only building a packet needs it (and it takes a moment to load).
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango, its system library, is missing
        raise PacketError(
            _(
                "WeasyPrint is needed to set the packet's cover and cannot be loaded ({why}); "
                "install it with pip (python3 -m pip install weasyprint) and Pango with "
                "apt-get install libpango-1.0-0 libpangoft2-1.0-0"
            ).format(why=exc)
        ) from None
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def build_packet(
    archive: Path,
    registry: Registry,
    policy: Policy,
    case_id: str,
    renderer: Renderer,
    now: datetime,
    *,
    currency: str,
    company: str = "",
) -> bytes:
    """The packet's PDF bytes, its own pages in the language in use. `currency` is the
    site's (Settings.currency): the cover's money is shown with it; `company` (Settings.
    company_name) heads the cover."""
    case = registry.case(case_id)
    if case is None:
        raise PacketError(_("there is no case {case_id}").format(case_id=case_id))
    folder = case_folder(archive, case_id, case.customer)
    filings = registry.filings(case_id)
    with tempfile.TemporaryDirectory(prefix="closedloop-packet-") as tmp:
        work = Path(tmp)
        # Each original read once, without following a link: what is attached is the bytes
        # that were filed, and what is rendered is them with any link out cut (unlinked.py).
        originals = {f.file: original(archive, folder, f) for f in filings}
        sources: dict[str, Path] = {}
        for n, filing in enumerate(filings, start=1):
            data = originals[filing.file]
            if isinstance(data, str):
                continue
            source = work / "in" / f"{n:02d}{Path(filing.file).suffix}"
            source.parent.mkdir(exist_ok=True)
            source.write_bytes(cut_links_out(data))
            sources[filing.file] = source
        unavailable = [
            {"file": f.file, "sha256": f.sha256, "reason": reason}
            for f in filings
            if isinstance(reason := originals[f.file], str)
        ]
        sealed = quarter_of_folder(folder.parent.name) or ""

        def cover_of(failures: list[dict[str, str]]) -> str:
            return cover_html(
                registry, policy, currency, case, sealed, now, failures, unavailable, company
            )

        # The cover is set while LibreOffice renders the forms (this process only waits on
        # it meanwhile), on the likely guess that every form renders; it is set again
        # naming those that did not. Its words are read here, in this thread (the
        # registry's connection is this thread's); the thread only sets them, in the
        # language in use (contextvars).
        with ThreadPoolExecutor(1, thread_name_prefix="packet-cover") as setter:
            guessed = setter.submit(contextvars.copy_context().run, render_page, cover_of([]))
            rendered = renderer.to_pdf(list(sources.values()), work / "out") if sources else {}
            failures = [
                {"file": file, "reason": problem}
                for file, s in sources.items()
                if isinstance(problem := rendered[s], str)
            ]
            if failures:
                guessed.exception()  # one cover set at a time: Pango is not made for two
                cover = render_page(cover_of(failures))
            else:
                cover = guessed.result()
        notice = render_page(_notice(case_id, unavailable)) if unavailable else None
        writer = PdfWriter()
        writer.append(
            PdfReader(io.BytesIO(cover)),
            outline_item=_("Case summary, deadlines and timeline"),
            import_outline=False,
        )
        if notice is not None:
            writer.append(
                PdfReader(io.BytesIO(notice)),
                outline_item=_("Documents not in this packet"),
                import_outline=False,
            )
        for file, source in sources.items():
            pdf = rendered[source]
            if isinstance(pdf, Path):
                writer.append(PdfReader(pdf), outline_item=file, import_outline=False)
        for file, data in originals.items():
            if isinstance(data, bytes):
                writer.add_attachment(file, data)
        writer.add_metadata(
            {
                "/Title": packet_title(case_id),
                "/Subject": f"{case.customer or ''} {case.product or ''}".strip(),
                "/Creator": "closedloop",
            }
        )
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()


def _notice(case_id: str, unavailable: list[dict[str, str]]) -> str:
    """The page after the cover naming the documents the packet cannot hold."""
    return render(
        "packet_unavailable.html",
        lang=current(),
        fonts=fonts(),
        case_id=case_id,
        code=code,
        running={
            "title": css_content(packet_title(case_id)),
            "page": css_content(_("Documents not in this packet, page {page} of {pages}")),
        },
        unavailable=unavailable,
    )


def file_packet(
    root: Path, archive: Path, registry: Registry, case_id: str, pdf: bytes, now: datetime
) -> Path:
    """Put the packet into the case folder under `archive` (the shared folder `root`'s) and
    record it, all or nothing (the journal)."""
    case = registry.case(case_id)
    if case is None:
        raise PacketError(_("there is no case {case_id}").format(case_id=case_id))
    folder = case_folder(archive, case_id, case.customer)
    if QUARTER_FOLDER.match(folder.parent.name):
        raise PacketError(
            _(
                "{case_id} is sealed in {quarter}; its folder is read-only. "
                "Write the packet elsewhere with --out"
            ).format(case_id=case_id, quarter=folder.parent.name)
        )
    name = PACKET.format(case_id=case_id)
    digest = hashlib.sha256(pdf).hexdigest()
    with journaled(registry, root, now) as plan:
        plan.write(folder / name, pdf)
        case.packet_sha256 = digest
        registry.save_case(case)
        registry.append_history(Event(case_id, now, "closure packet", None, digest, None, name))
        stage_case_files(plan, registry, folder, case_id)
    return folder / name
