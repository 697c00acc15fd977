"""Reading untrusted files in a child process that the OS holds to a memory and time budget.

The checks in forms.container refuse every attack we know of; this is for the ones we do
not. Each file is read in a long-lived child process (reused, so a normal form costs a
fraction of a millisecond more than reading it inline) that limits itself at start:
RLIMIT_AS caps its address space, RLIMIT_CPU is raised before each file to the CPU time
spent so far plus the budget of one file (the limit counts the process's whole life), and
the parent waits with a wall-clock timeout and kills the child when it passes. A file that
hits a limit is refused as `unsafe`; the next file gets a fresh child.

The child is a fresh interpreter (`python -I -c ...`), never a fork: the parent (the
`watch` service) has threads, and forking a threaded process is unsafe. It gets the
parent's sys.path explicitly, so `-I` can keep the working directory and PYTHON*
variables out of what it imports. Requests and replies are length-prefixed frames on its
stdin and stdout; its own fds 0 and 1 point at the null device, so nothing the reading
code prints can corrupt a frame. Replies are unpickled with only the classes a form's
values can hold, so even a child that misbehaved cannot make the parent build anything else.

Windows has no `resource` module: there the child runs without memory and CPU limits,
and the wall-clock timeout alone bounds a read.

The parent's side is here; the child's is forms.isolated_child, and the process with its
frames forms.isolated_pipe.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Final

from forms.definition import all_forms
from forms.errors import REFUSAL_KINDS, FormError, RefusedFile
from forms.isolated_pipe import Child, Late
from forms.reader import FormRead
from forms.values import Problem
from language import _, current, folders

DEFAULT_READER = "forms.reader:read_form"
#: Address space of the reading process. Measured: 39 MB after its imports, no growth for a
#: normal form, about 170 MB for the largest file accepted (64 MB, held while it is read,
#: plus the copy that arrives over the pipe). 512 MB leaves three times that.
DEFAULT_MEMORY_MB = 512
#: Processor time one file may use (a normal form: 2 ms).
DEFAULT_CPU_SECONDS = 5
#: Wall-clock time one file may take, from handing it over to the answer.
DEFAULT_TIMEOUT = 10.0
#: A fresh interpreter with its imports starts in about 0.3 s; this only bounds a machine
#: so overloaded (or a child so broken) that it never says it is ready.
START_TIMEOUT = 30.0

_BOOT = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "from forms.isolated_child import serve; serve(sys.argv[2:])"
)
# What the child's answers may hold: the types of forms.values.Value, and nothing else.
_REPLY_CLASSES: Final = frozenset(
    {
        ("decimal", "Decimal"),
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
    }
)


class ReaderProcessError(FormError):
    """The reading process cannot be started or will not take a file: no file's fault."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"closedloop's form-reading process {reason}. No file was read or refused; "
            "run `closedloop doctor` and see the log above this line for the cause."
        )


class IsolatedReader:
    """read_form, run in a reused child process under OS-enforced limits.

    `read` has read_form's contract: a FormRead, or RefusedFile for the file. A file that
    runs out of memory, CPU time or wall-clock time, or that crashes the child, is refused
    as `unsafe` naming the limit; an exception the reading code did not expect refuses it
    as `corrupt`, naming the exception, rather than leaving it to be tried forever. Only a
    child that cannot start at all raises ReaderProcessError. Safe to share between
    threads (one file is read at a time); `close()` ends the child.

    `reader` is the reading function as "module:name", called in the child as
    reader(path, data); any importable function with read_form's signature will do.
    """

    def __init__(
        self,
        *,
        memory_mb: int = DEFAULT_MEMORY_MB,
        cpu_seconds: int = DEFAULT_CPU_SECONDS,
        timeout: float = DEFAULT_TIMEOUT,
        reader: str = DEFAULT_READER,
    ) -> None:
        if memory_mb <= 0 or cpu_seconds <= 0 or timeout <= 0:
            raise ValueError("memory_mb, cpu_seconds and timeout must be positive")
        if ":" not in reader:
            raise ValueError(f"reader must be 'module:function', not {reader!r}")
        self.memory_mb = memory_mb
        self.cpu_seconds = cpu_seconds
        self.timeout = timeout
        self.reader = reader
        self._child: Child | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The reading process's id, while one runs (it starts at the first read)."""
        child = self._child
        return child.proc.pid if child is not None else None

    def start(self) -> None:
        """Start the reading process now rather than at the first file (a service does,
        so that a process that cannot start is said at once). Raises ReaderProcessError."""
        with self._lock:
            if self._child is None:
                self._start()

    def close(self) -> None:
        """End the reading process; a later read starts a fresh one."""
        with self._lock:
            self._discard()

    def read(self, path: Path, data: bytes) -> FormRead:
        """Read the form in `data` (the bytes of `path`) in the child. Raises RefusedFile."""
        with self._lock:
            # A child killed between reads dies before it takes the file: then, and only
            # then, the file goes to a fresh child. Once taken, its death is the file's.
            for _attempt in range(2):
                child = self._child or self._start()
                try:
                    deadline = time.monotonic() + self.timeout
                    child.send(speech(), os.fsencode(path), data)
                    took = child.reply(deadline)
                    if took is None:
                        self._discard()
                        continue
                    if isinstance(took, Late):
                        self._discard()
                        raise ReaderProcessError(f"did not take a file within {self.timeout:g} s")
                    if _decode(took) != ("took",):
                        self._discard()
                        raise _garbled(path)
                    reply = child.reply(deadline)
                except BaseException:
                    # Interrupted (Ctrl-C) with the child still at the file: its answer
                    # must not be taken for the next file's.
                    self._discard()
                    raise
                return self._answer(path, reply)
            raise ReaderProcessError("stopped twice before it could take a file")

    def _answer(self, path: Path, reply: bytes | Late | None) -> FormRead:
        if isinstance(reply, Late):
            self._discard()
            raise RefusedFile(
                path,
                "unsafe",
                _("reading it took more than {seconds} s.").format(seconds=f"{self.timeout:g}"),
            )
        if reply is None:  # it is exiting: its own status says why, not our SIGKILL
            raise RefusedFile(path, "unsafe", self._death(self._discard(grace=2.0)))
        answer = _decode(reply)
        match answer:
            case ("read", *_):
                read = _form_read(path, answer)
                if read is not None:
                    return read
            case ("refused", str(kind), str(reason)) if kind in REFUSAL_KINDS:
                raise RefusedFile(path, kind, reason)
            case ("memory",):
                self._discard()
                raise RefusedFile(
                    path,
                    "unsafe",
                    _("reading it needed more than {mb} MB of memory.").format(mb=self.memory_mb),
                )
            case ("error", str(what)):
                self._discard()  # whatever state the failure left is not carried forward
                raise RefusedFile(
                    path, "corrupt", _("closedloop could not read it ({error}).").format(error=what)
                )
        self._discard()
        raise _garbled(path)

    def _death(self, status: int | None) -> str:
        xcpu = getattr(signal, "SIGXCPU", None)
        if xcpu is not None and status == -xcpu:
            return _("reading it needed more than {seconds} s of processor time.").format(
                seconds=self.cpu_seconds
            )
        return _("the process reading it stopped ({how}).").format(how=_how(status))

    def _start(self) -> Child:
        command = [
            sys.executable,
            "-I",
            "-c",
            _BOOT,
            json.dumps([entry for entry in sys.path if isinstance(entry, str)]),
            self.reader,
            str(self.memory_mb),
            str(self.cpu_seconds),
        ]
        try:
            child = Child(command)
        except (OSError, RuntimeError) as exc:  # no process, or no thread, to be had
            raise ReaderProcessError(f"could not be started ({exc})") from exc
        first = child.reply(time.monotonic() + START_TIMEOUT)
        if isinstance(first, bytes) and _decode(first) == ("ready",):
            self._child = child
            return child
        status = child.stop(grace=2.0)
        if first is None:
            raise ReaderProcessError(f"ended as it started ({_how(status)})")
        if isinstance(first, Late):
            raise ReaderProcessError(f"did not start within {START_TIMEOUT:g} s")
        match _decode(first):
            case ("failed", str(why)):
                raise ReaderProcessError(f"could not start with reader {self.reader}: {why}")
        raise ReaderProcessError("answered its start with something else than ready")

    def _discard(self, grace: float = 0.0) -> int | None:
        child, self._child = self._child, None
        return child.stop(grace) if child is not None else None


def _garbled(path: Path) -> RefusedFile:
    return RefusedFile(
        path, "unsafe", _("the process reading it answered with something other than a form.")
    )


def _form_read(path: Path, answer: object) -> FormRead | None:
    match answer:
        case ("read", str(fmt), str(form_id), str(version), case_id, dict(values), list(raw)):
            form = all_forms().get(form_id)
            problems = _problems(raw)
            if form is None or problems is None:
                return None
            if case_id is not None and not isinstance(case_id, str):
                return None
            return FormRead(path, fmt, form, version, case_id, values, problems)
    return None


def _problems(raw: list[Any]) -> list[Problem] | None:
    out: list[Problem] = []
    for p in raw:
        match p:
            case (str(field), str(message), value) if value is None or isinstance(value, str):
                out.append(Problem(field, message, value))
            case _:
                return None
    return out


def _how(status: int | None) -> str:
    if status is None:
        return _("no exit status")
    if status < 0:
        try:
            return _("killed by {signal}").format(signal=signal.Signals(-status).name)
        except ValueError:
            return _("killed by signal {number}").format(number=-status)
    return _("exit code {code}").format(code=status)


class _ReplyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _REPLY_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a form's reading")


def _decode(body: bytes) -> object:
    """The child's answer, or None when it is not one (the caller treats that as garbled)."""
    try:
        return _ReplyUnpickler(io.BytesIO(body)).load()
    except Exception:  # anything malformed is garbled, whatever pickle raises for it
        return None


def speech() -> bytes:
    """What the reading process needs to speak as this process does now: the language in
    use and the folders' names (forms.isolated_child.speaking reads it back)."""
    said = {"language": current(), "folders": dict(folders())}
    return json.dumps(said, ensure_ascii=True, sort_keys=True).encode("ascii")
