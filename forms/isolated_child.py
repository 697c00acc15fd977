"""The reading process's side of forms.isolated: it limits itself, then reads each file
the parent sends and answers, until the parent goes.

Started as a fresh interpreter (`python -I -c ...`, see forms.isolated) that imports
this module, and with it forms.reader: what is imported here is loaded once, at start,
not for each file.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import signal
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from forms.definition import all_forms
from forms.errors import RefusedFile
from forms.isolated_pipe import read_frame, write_frame
from forms.reader import FormRead
from language import DEFAULT, DEFAULT_FOLDERS, LANGUAGES, use

if sys.platform != "win32":
    import resource


def serve(argv: list[str]) -> None:
    """The reading process: read each file the parent sends and answer, until it goes.

    argv: the reader ("module:function"), the memory limit in MB, the CPU seconds a file.
    """
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    # The parent decides when this process ends: a Ctrl-C in a terminal or a service
    # manager's SIGTERM reaches the whole group, and must not turn into a refused file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        reader_name, memory_mb, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
        if sys.platform != "win32":
            _limit_memory(memory_mb)
        all_forms()  # forms.reader came with this module; now the definitions, for the 1st file
        module, _, function = reader_name.partition(":")
        read: Callable[[Path, bytes], FormRead] = getattr(import_module(module), function)
    except Exception as exc:
        write_frame(replies, pickle.dumps(("failed", f"{type(exc).__name__}: {exc}")))
        return
    write_frame(replies, pickle.dumps(("ready",)))
    # Each request: the language the parent speaks now (this process has no language of
    # its own: a refusal's words must be the folder's, as if it were read in the parent),
    # the file's name, its bytes.
    while (speech := read_frame(requests, _SPEECH_BYTES)) is not None:
        name = read_frame(requests, 2**16)
        data = read_frame(requests, 2**40) if name is not None else None
        if name is None or data is None:
            return
        write_frame(replies, pickle.dumps(("took",)))
        if sys.platform != "win32":
            _budget_cpu(cpu_seconds)
        language, folders = speaking(speech)
        with use(language, folders):
            answer = _answer(read, Path(os.fsdecode(name)), data)
        write_frame(replies, answer)


#: The most a request's speech may hold: a language code and six folder names.
_SPEECH_BYTES = 8192


def speaking(speech: bytes) -> tuple[str, dict[str, str]]:
    """The language and folder names a request says to speak with (forms.isolated.speech):
    a language closedloop is written in, else English; names that are text, else the
    defaults (the parent sends only those; nothing else it says is trusted further)."""
    try:
        said = json.loads(speech.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        said = {}
    if not isinstance(said, dict):
        said = {}
    language = said.get("language")
    named = said.get("folders")
    named = named if isinstance(named, dict) else {}
    folders = {
        key: value if isinstance(value := named.get(key), str) else default
        for key, default in DEFAULT_FOLDERS.items()
    }
    return (language if language in LANGUAGES else DEFAULT), folders


def _answer(read: Callable[[Path, bytes], FormRead], path: Path, data: bytes) -> bytes:
    try:
        try:
            r = read(path, data)
        except RefusedFile as exc:
            return pickle.dumps(("refused", exc.kind, exc.reason))
        problems = [(p.field, p.message, p.value) for p in r.problems]
        return pickle.dumps(("read", r.format, r.form.id, r.version, r.case_id, r.values, problems))
    except MemoryError:
        return pickle.dumps(("memory",))
    except Exception as exc:
        return pickle.dumps(("error", f"{type(exc).__name__}: {exc}"[:500]))


if sys.platform != "win32":

    def _limit_memory(memory_mb: int) -> None:
        # Soft and hard alike: not even code that took over this process can lift it.
        limit = memory_mb * 1024 * 1024
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        # Past its CPU limit the process dumps core by default: not into the shared folder.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # An ignored SIGXCPU is inherited across exec; the limit must end the process.
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)

    def _budget_cpu(seconds: int) -> None:
        # RLIMIT_CPU counts the whole life of the process, so each file's budget is the
        # time spent so far plus its own (whole seconds: at least `seconds`, under one more).
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
