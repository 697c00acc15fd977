"""What reading in the limited child process costs over reading inline, per form.

200 real forms (every form, both formats, values varied) made by forms.writer.render_form;
each is read inline with read_form and through IsolatedReader.read, in strict alternation
so that a drift of this machine's speed hits both sides alike. Prints the median and p95
of each, the overhead, the processor time a read costs (parent and child together: what
a busy machine feels, where the wall-clock figures mostly measure waiting for a core),
the child's start-up time and its peak address space.

    python bench/bench_isolated.py [--forms 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_forms import values_for

from forms.definition import FORM_IDS, get_form
from forms.isolated import IsolatedReader
from forms.reader import read_form
from forms.writer import FORMATS, render_form


def make_forms(n: int) -> list[tuple[Path, bytes]]:
    out: list[tuple[Path, bytes]] = []
    kinds = [(form_id, fmt) for form_id in FORM_IDS for fmt in FORMATS]
    for i in range(n):
        form_id, fmt = kinds[i % len(kinds)]
        values = values_for(form_id)
        for f in get_form(form_id).fields:  # no two files alike
            if f.type == "integer":
                values[f.id] = i
        case_id = f"CC-2026-{i + 1:04d}"
        data = render_form(get_form(form_id), fmt, values, case_id)
        out.append((Path(f"{i:03d} {form_id}.{fmt}"), data))
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def peak_mb(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "n/a"
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return f"VmPeak {int(fields['VmPeak'].split()[0]) // 1024} MB, VmHWM {int(fields['VmHWM'].split()[0]) // 1024} MB"


def child_cpu(pid: int) -> float:
    """Seconds of processor time the child has used (Linux: /proc), NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_read(
    read: Callable[[Path, bytes], object], files: list[tuple[Path, bytes]], pid: int | None
) -> float:
    before = time.process_time(), child_cpu(pid) if pid else 0.0
    for path, data in files:
        read(path, data)
    after = time.process_time(), child_cpu(pid) if pid else 0.0
    return (after[0] - before[0] + after[1] - before[1]) / len(files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="passes over all the forms")
    args = ap.parse_args()
    files = make_forms(args.forms)
    clock = time.perf_counter
    with IsolatedReader() as reader:
        t0 = clock()
        reader.read(*files[0])  # the child starts at its first file
        start = clock() - t0
        for path, data in files:  # warm both sides
            read_form(path, data)
            reader.read(path, data)
        inline: list[float] = []
        isolated: list[float] = []
        gc.collect()
        gc.disable()
        try:
            for _ in range(args.rounds):
                for path, data in files:
                    t0 = clock()
                    read_form(path, data)
                    t1 = clock()
                    reader.read(path, data)
                    t2 = clock()
                    inline.append(t1 - t0)
                    isolated.append(t2 - t1)
        finally:
            gc.enable()
        pid = reader.pid
        assert pid is not None
        cpu_inline = cpu_per_read(read_form, files * args.rounds, None)
        cpu_isolated = cpu_per_read(reader.read, files * args.rounds, pid)
        child = peak_mb(pid)
    extra = [b - a for a, b in zip(inline, isolated, strict=True)]
    print(f"{len(files)} forms x {args.rounds} rounds, ms per read")
    print(f"{'':<22} {'median':>8} {'p95':>8}")
    for name, xs in (("read_form inline", inline), ("IsolatedReader.read", isolated)):
        print(f"{name:<22} {statistics.median(xs) * 1e3:>8.3f} {p95(xs) * 1e3:>8.3f}")
    print(
        f"{'overhead (paired)':<22} {statistics.median(extra) * 1e3:>8.3f} {p95(extra) * 1e3:>8.3f}"
    )
    print(
        f"processor time a read: inline {cpu_inline * 1e3:.3f} ms, "
        f"isolated {cpu_isolated * 1e3:.3f} ms (parent and child)"
    )
    print(f"child start-up (first read included): {start * 1e3:.0f} ms")
    print(f"child after all reads: {child}")


if __name__ == "__main__":
    main()
