"""What starts the resident office's processes: the system's Python with unoserver, and
LibreOffice under it.

LibreOffice's bridge to Python, `uno`, exists only for the Python it was built for
(Debian's python3-uno: /usr/bin/python3), and closedloop runs on a Python of its own. So
unoserver (a pip package of pure Python, installed with closedloop) runs on
/usr/bin/python3, and closedloop talks to it over XML-RPC on a loopback port. Nothing is
installed into the system's Python: at each start the unoserver package installed beside
closedloop (found by importlib, its version from its distribution's metadata) is copied
into a private temporary folder, which holds nothing else, and /usr/bin/python3 runs in
isolated mode (-I: no PYTHONPATH, no user site-packages) with that folder first on its
path and the few lines of BOOT, which:
- tie it, and LibreOffice under it, to their parent (PR_SET_PDEATHSIG): a `closedloop
  office` killed with -9 leaves no LibreOffice behind holding the profile and a port;
- load every document hidden: LibreOffice 7.4 headless aborts (SIGABRT in
  ScTabViewShell::GetClipData) loading a workbook into a visible frame, which is what
  unoserver 3.7 asks for;
- drop the XML-RPC server's line per request; unoserver's warnings and errors still show.

LibreOffice runs as soffice.bin itself, not through the soffice script, whose launcher
(oosplash) neither passes a SIGTERM on nor dies with its parent. A new profile is made
once through the script, because a first start there ends with exit code 81, "start me
again", which only the launcher does.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from archive.office_record import HOST, OfficeError, alive
from language import _

PYTHON = "/usr/bin/python3"  # Debian's, the one python3-uno is for
_PR_SET_PDEATHSIG = 1
_PACKAGE = "closedloop-unoserver-"  # + the process's id: the temporary folder of its copy

BOOT = r"""
import ctypes, logging, os, signal, subprocess, sys, xmlrpc.server
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: unoserver stops with its parent
if os.getppid() != int(sys.argv[2]):
    sys.exit(0)  # the parent ended before the line above
sys.path.insert(0, sys.argv[1])
logging.basicConfig(level=logging.WARNING, format="unoserver %(levelname)s %(message)s")
xmlrpc.server.SimpleXMLRPCRequestHandler.log_request = lambda self, *args: None
from unoserver import converter, server  # converter imports uno, which makes com.* importable
from com.sun.star.beans import PropertyValue

class Hidden:
    def __init__(self, desktop):
        self.desktop = desktop
    def loadComponentFromURL(self, url, frame, flags, props):
        props = (*props, PropertyValue(Name="Hidden", Value=True))
        return self.desktop.loadComponentFromURL(url, frame, flags, props)
    def __getattr__(self, name):
        return getattr(self.desktop, name)

made = converter.UnoConverter.__init__
def hidden(self, *args, **kwargs):
    made(self, *args, **kwargs)
    self.desktop = Hidden(self.desktop)
converter.UnoConverter.__init__ = hidden

popen = subprocess.Popen
def tied(*args, **kwargs):  # LibreOffice is killed when unoserver ends, however it ends
    kwargs["preexec_fn"] = lambda: libc.prctl(1, signal.SIGKILL)
    return popen(*args, **kwargs)
subprocess.Popen = tied
sys.argv = ["unoserver", *sys.argv[3:]]
sys.exit(server.main())
"""


def die_with(parent: int) -> bool:
    """Have this process sent SIGTERM when `parent`, the process that started it, ends,
    even by kill -9 (Linux). False when it has already ended."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


def free_ports(count: int) -> list[int]:
    """Loopback ports free now, all different (held open together while chosen)."""
    sockets = []
    try:
        for _n in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def package_folder() -> Path:
    """A private temporary folder (0700) for the copy of unoserver, named by this
    process; those left by offices that are gone (killed with -9) are removed first."""
    for old in Path(tempfile.gettempdir()).glob(f"{_PACKAGE}*-*"):
        pid = old.name.removeprefix(_PACKAGE).split("-")[0]
        with contextlib.suppress(OSError):
            info = old.lstat()
            mine = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            if mine and pid.isdigit() and not alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_PACKAGE}{os.getpid()}-"))


def copy_unoserver(dest: Path) -> None:
    """The unoserver package installed beside closedloop, copied into `dest` with the
    metadata it reads its own version from: the one thing the system's Python is given."""
    spec = importlib.util.find_spec("unoserver")
    if spec is None or not spec.submodule_search_locations:
        raise OfficeError(
            _(
                "unoserver is not installed beside closedloop; install it with "
                "python3 -m pip install unoserver"
            )
        )
    source = Path(next(iter(spec.submodule_search_locations)))
    (dest / "unoserver").mkdir()
    for module in source.glob("*.py"):
        shutil.copyfile(module, dest / "unoserver" / module.name)
    version = metadata.version("unoserver")
    info = dest / f"unoserver-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: unoserver\nVersion: {version}\n", encoding="utf-8"
    )


def soffice_programs(binary: str | None = None) -> tuple[str, str]:
    """LibreOffice's launcher (the soffice script) and its program (soffice.bin)."""
    launcher = binary or shutil.which("soffice") or shutil.which("libreoffice")
    if launcher is None:
        raise OfficeError(
            _(
                "LibreOffice is needed to render forms to PDF and is not installed; "
                "install libreoffice-writer-nogui and libreoffice-calc-nogui"
            )
        )
    real = Path(os.path.realpath(launcher))
    program = real.with_name("soffice.bin")
    return launcher, str(program if program.is_file() else real)


def unoserver_command(
    python: str, package: Path, port: int, uno_port: int, profile: Path, program: str, timeout: int
) -> list[str]:
    """The command line of unoserver on `python`, through BOOT, tied to this process."""
    return [
        *(python, "-I", "-c", BOOT, str(package), str(os.getpid())),
        *("--interface", HOST, "--port", str(port)),
        *("--uno-interface", HOST, "--uno-port", str(uno_port)),
        *("--user-installation", str(profile), "--executable", program),
        *("--conversion-timeout", str(timeout)),
    ]
