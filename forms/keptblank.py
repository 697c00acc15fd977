"""A blank form kept as a zip: the parts no value changes, compressed once, and the
parts a pre-filled copy rewrites. Joining them is an append to the kept zip, so the big
constant parts (Word's styles alone are 350 kB of XML) are never compressed again."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

# Stands for the case number in a blank kept for forms that carry one; as long as any
# real number, so that no layout depends on which number it is.
CASE_MARK = "CC-9999-9999"


@dataclass(frozen=True)
class KeptBlank:
    fixed: bytes  # a zip of the parts that never change
    varying: dict[str, tuple[zipfile.ZipInfo, bytes]]  # part name -> its entry and bytes

    @classmethod
    def split(cls, package: bytes, varies: Callable[[str, bytes], bool]) -> KeptBlank:
        fixed = io.BytesIO()
        varying = {}
        with (
            zipfile.ZipFile(io.BytesIO(package)) as z,
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            for info in z.infolist():
                data = z.read(info)
                if varies(info.filename, data) or CASE_MARK.encode("ascii") in data:
                    varying[info.filename] = (info, data)
                else:
                    out.writestr(info, data)
        return cls(fixed.getvalue(), varying)

    def part(self, name: str) -> bytes:
        return self.varying[name][1]

    def join(self, case_id: str | None, replaced: dict[str, bytes]) -> bytes:
        """The package with `replaced` parts, and the case number put into the others."""
        mark = CASE_MARK.encode("ascii")
        case = (case_id or CASE_MARK).encode("ascii")
        out = io.BytesIO(self.fixed)
        stamp = time.localtime()[:6]
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
            for name, (info, data) in self.varying.items():
                fresh = zipfile.ZipInfo(name, stamp)
                fresh.compress_type = info.compress_type
                fresh.external_attr = info.external_attr
                z.writestr(fresh, replaced[name] if name in replaced else data.replace(mark, case))
        return out.getvalue()


def with_case(data: bytes, case_id: str | None) -> bytes:
    """A part's bytes with the kept blank's mark replaced by the case number."""
    return data.replace(CASE_MARK.encode("ascii"), (case_id or CASE_MARK).encode("ascii"))
