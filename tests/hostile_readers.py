"""Reading functions for IsolatedReader's tests: read_form, unless the bytes ask for trouble.

IsolatedReader runs any importable reader(path, data) in its child; these stand in for a
file that gets past every check and then misbehaves, without building a real bomb. The
bytes say what to do: b"hostile:allocate", b"hostile:spin", and so on; any other bytes are
read by read_form.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from forms.reader import FormRead, read_form


def misbehave(path: Path, data: bytes) -> FormRead:
    if data.startswith(b"hostile:print:"):  # into fd 1, where the frames would be if not moved
        print("noise " * 10_000, flush=True)
        os.write(1, b"\x00\x00\x00\x00\x00\x00\x00\x05hello")
        return read_form(path, data.removeprefix(b"hostile:print:"))
    what = data.removeprefix(b"hostile:") if data.startswith(b"hostile:") else None
    if what == b"allocate":  # 16 MB at a time, touched; stops at 400 MB if nothing stops it
        hoard = [bytearray(16 * 2**20) for _ in range(25)]
        raise AssertionError(f"allocated {len(hoard) * 16} MB without a limit")
    if what == b"spin":
        while True:
            pass
    if what == b"sleep":  # uses no CPU: only the wall-clock timeout can end it
        time.sleep(4)  # longer than the tests' timeout, shorter than a test may take
        raise AssertionError("slept 4 s without a timeout")
    if what == b"segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if what == b"exit":
        os._exit(3)
    if what == b"bug":
        raise KeyError("a key the reading code did not expect")
    return read_form(path, data)
