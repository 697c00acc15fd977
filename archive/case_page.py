"""A case's page among the auditor's pages (`Archive/Auditor pages/CC-2026-0001.html`): its
summary in words, its deadlines, its timeline, and every document linked to its file in the
case folder with its SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from archive.casefolder import case_folder
from archive.packet import PACKET
from archive.page_words import DEADLINE_STATUS, anchor, filed_form, fonts, in_context
from archive.timeline import timeline
from filing.records import Case
from filing.status import case_deadlines
from filing.words import (
    and_more,
    category_label,
    day_or_minute,
    deadline_words,
    department_name,
    form_title,
    minute,
    resolution_words,
    state_words,
)
from language import _, current
from templates import render

if TYPE_CHECKING:
    from archive.auditor import AuditorPages


def case_page(pages: AuditorPages, case: Case, now: datetime) -> bytes:
    folder = case_folder(pages.archive, case.case_id, case.customer)
    base = "../" + quote(folder.relative_to(pages.archive).as_posix()) + "/"

    def link(file: str) -> str:
        return base + quote(file)

    outboxes = pages.policy.outboxes
    packet = PACKET.format(case_id=case.case_id) if case.packet_sha256 else ""
    history = pages.registry.history(case.case_id)
    documents = [
        *(
            _document(
                filed_form(f.form, f.version),
                f.file,
                link(f.file),
                f.sha256,
                f.filed_at,
                f.person,
            )
            for f in pages.registry.filings(case.case_id)
        ),
        *(
            _document(
                _("{form}, issued to {department}").format(
                    form=form_title(i.form),
                    department=department_name(outboxes, i.department),
                ),
                i.copy or i.file,
                link(i.copy) if i.copy else "",
                i.sha256,
                i.issued_at,
            )
            for i in pages.registry.issued(case.case_id)
        ),
        *(
            _document(_("Evidence"), e.file, link(e.file), e.sha256, e.filed_at)
            for e in pages.registry.evidence(case.case_id)
        ),
    ]
    if packet:
        made = [e.at for e in history if e.event == "closure packet"]
        documents.append(
            _document(
                _("Closure packet: the cover, every form, the originals attached"),
                packet,
                link(packet),
                case.packet_sha256,
                made[-1] if made else now,
            )
        )
    html = render(
        "auditor_case.html",
        lang=current(),
        fonts=fonts(screen=True),
        c=in_context,
        anchor=anchor,
        case=facts(pages, case),
        deadlines=[
            {
                "name": deadline_words(d.name),
                "due_at": d.due.isoformat(timespec="minutes"),
                "met_at": d.met_at.isoformat(timespec="minutes") if d.met_at else "",
                "due": minute(d.due),
                "met": day_or_minute(d.met_at),
            }
            for d in case_deadlines(case, pages.policy, pages.calendar)
        ],
        links={
            "reopens": case.reopens,
            "reopened_as": case.reopened_as,
            "repeats": case.repeats,
            "more": and_more(case.repeats_total - len(case.repeats)),
        },
        history=timeline(history, outboxes),
        documents=documents,
        packet=link(packet) if packet else "",
        folder=link(""),
        manifest=link("manifest.sha256"),
        written=minute(now),
        status=_status_words(),
    )
    return html.encode("utf-8")


def facts(pages: AuditorPages, case: Case) -> dict[str, Any]:
    """What the case's page says of it, in words beside the ids."""
    quarter, sealed = pages.rows.quarter(case)
    return {
        "id": case.case_id,
        "customer": case.customer or "",
        "product": case.product or "",
        "state": case.state,
        "resolution": case.resolution or "",
        "quarter": quarter,
        "sealed": sealed,
        "shown": {
            "category": category_label(case.category),
            "state": state_words(case.state),
            "resolution": resolution_words(case.resolution),
            "department": department_name(pages.policy.outboxes, case.department),
            "opened": minute(case.opened_at),
            "closed": minute(case.closed_at),
        },
    }


# A case page shows records as a person reads them: times to the minute, nothing as None.


def _document(
    title: str,
    file: str,
    href: str,
    sha256: str | None,
    at: datetime,
    who: str | None = None,
) -> dict[str, str]:
    """A row of the page's documents: a filed original, an issued form or evidence."""
    return {
        "title": title,
        "file": file,
        "href": href,
        "sha256": sha256 or "",
        "at": minute(at),
        "who": who or "",
    }


def _status_words() -> dict[str, str]:
    """A deadline's status by its id, for the pages' scripts (they work it out as you look)."""
    return {status: _(words) for status, words in DEADLINE_STATUS.items()}
