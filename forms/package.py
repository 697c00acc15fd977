"""An Office package that passed the checks of forms.container: its parts read straight
from the file's bytes, each inflated against its real size and the directory's claim,
within one budget for the whole file, and parsed without DTDs."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from lxml import etree

from forms.errors import RefusedFile, shown
from forms.xmlparse import UnsafeXML, parse_xml
from language import N_, _

# What is really inflated to be parsed: one part, and everything read from one file (DTD
# probes included). A form's largest part is some 100 kB (the corpus's largest XML part,
# a sheet of many merges, is 7 MB); parsing 8 MB of dense XML already takes ~250 MB.
MAX_READ_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
# Relationships in one .rels part; real forms have at most 25 (a form with attachments).
MAX_RELATIONSHIPS = 1000
# A part may shrink this much in the zip only while small; real office parts stay far below.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 4 * 1024 * 1024

Kind = Literal["docx", "xlsx"]

#: A part whose bytes or XML are broken, with the first line of what broke.
DAMAGED = N_("part {part} is damaged ({error}).")


@dataclass
class OfficePackage:
    """An Office Open XML package that passed every safety check."""

    path: Path
    zip: zipfile.ZipFile
    data: bytes
    kind: Kind
    main_part: str
    content_types: dict[str, str]
    _infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    # where each part's stored bytes start, found (and checked) by its local header
    _starts: dict[str, int] = field(default_factory=dict)
    #: bytes inflated so far from this file, against MAX_TOTAL_BYTES
    spent: int = 0

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """A part's bytes, inflated straight from the file (zipfile.open per part costs
        more than parsing it), never more than the size the directory claims, with the
        real size, ratio and CRC checked."""
        info = self._infos[name]
        if info.file_size > MAX_READ_BYTES:
            mb = info.file_size // 2**20
            raise refused_part(
                self.path,
                "unsafe",
                info,
                _("part {part} is {mb} MB of XML, far more than a form holds."),
                mb=mb,
            )
        data, used = self._inflate(info, info.file_size + 1, info.compress_size)
        if len(data) > info.file_size:
            raise refused_part(
                self.path,
                "unsafe",
                info,
                _(
                    "part {part} inflates to more than the {size} bytes the zip's directory "
                    "claims (a zip bomb)."
                ),
                size=info.file_size,
            )
        if len(data) < info.file_size:
            raise refused_part(
                self.path, "corrupt", info, _("part {part} is damaged (shorter than the zip says).")
            )
        if len(data) > RATIO_FLOOR_BYTES and len(data) > MAX_RATIO * max(used, 1):
            raise refused_part(
                self.path,
                "unsafe",
                info,
                _("part {part} inflates {ratio}-fold to {mb} MB (a zip bomb)."),
                ratio=len(data) // max(used, 1),
                mb=len(data) // 2**20,
            )
        if zlib.crc32(data) != info.CRC:
            raise refused_part(
                self.path, "corrupt", info, _("part {part} is damaged (bad CRC-32).")
            )
        return data

    def head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        """The first `size` bytes of a part, inflating no more than needed."""
        # Deflate never grows data by more than a few bytes per block: size + 1 kB of
        # stored bytes holds `size` inflated bytes unless the part ends first.
        return self._inflate(info, size, min(info.compress_size, size + 1024))[0]

    def _inflate(self, info: zipfile.ZipInfo, limit: int, stored: int) -> tuple[bytes, int]:
        """Up to `limit` bytes of a part, inflated from its first `stored` stored bytes and
        counted against the file's budget; with the stored bytes the inflater used."""
        if self.spent + limit > MAX_TOTAL_BYTES + 1:
            raise RefusedFile(
                self.path,
                "unsafe",
                _(
                    "it inflates to more than {mb} MB of XML in all, "
                    "far more than a form holds (a zip bomb)."
                ).format(mb=MAX_TOTAL_BYTES // 2**20),
            )
        start = self._starts[info.filename]
        raw = memoryview(self.data)[start : start + stored]
        if info.compress_type == zipfile.ZIP_STORED:
            out, used = bytes(raw[:limit]), min(len(raw), limit)
        else:
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(raw, limit)
            except zlib.error as exc:
                raise refused_part(
                    self.path, "corrupt", info, _(DAMAGED), error=first_line(exc)
                ) from None
            used = len(raw) - len(inflater.unused_data) if inflater.eof else len(raw)
        self.spent += len(out)
        return out, used

    def parse(self, name: str) -> etree._Element:
        data = self.read(name)
        try:
            return parse_xml(data)
        except UnsafeXML:
            raise RefusedFile(
                self.path,
                "unsafe",
                _("part {part} declares XML entities.").format(part=shown(name)),
            ) from None
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise RefusedFile(
                self.path,
                "corrupt",
                _(DAMAGED).format(part=shown(name), error=first_line(exc)),
            ) from None

    def parts_of_type(self, content_type: str) -> list[str]:
        return [n for n, ct in self.content_types.items() if ct == content_type]

    def relationships(self, rels: str) -> list[etree._Element]:
        """The relationships of a .rels part, refused beyond what any form has (each may
        send the reader to a part: tens of thousands would read one part as often)."""
        root = self.parse(rels)
        found = list(root)
        if len(found) > MAX_RELATIONSHIPS:
            raise RefusedFile(
                self.path,
                "unsafe",
                _(
                    "part {part} holds {count} relationships, "
                    "far more than a form has (at most {most})."
                ).format(part=shown(rels), count=len(found), most=MAX_RELATIONSHIPS),
            )
        return found

    def related(self, source: str, rel_types: tuple[str, ...]) -> list[str]:
        """Part names that `source` points to with one of rel_types, in document order,
        each once."""
        folder = PurePosixPath(source).parent
        rels = str(folder / "_rels" / (PurePosixPath(source).name + ".rels")).lstrip("/")
        if source == "":
            rels = "_rels/.rels"
        if not self.has(rels):
            return []
        out: dict[str, None] = {}
        for rel in self.relationships(rels):
            if rel.get("Type") in rel_types and rel.get("TargetMode") != "External":
                out.setdefault(resolve_target(source, rel.get("Target", "")))
        return list(out)

    def close(self) -> None:
        self.zip.close()


def resolve_target(source: str, target: str) -> str:
    """A relationship target as a part name inside the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = list(PurePosixPath(source).parent.parts) if source else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def first_line(exc: BaseException) -> str:
    """An error's first line, cut short: enough to say what is damaged."""
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def refused_part(
    path: Path, kind: str, info: zipfile.ZipInfo, what: str, **values: object
) -> RefusedFile:
    """A refusal naming one part: `what` (said in the language in use) names it {part}."""
    return RefusedFile(path, kind, what.format(part=shown(info.filename), **values))
