"""The auditor's index in a real headless Chromium, timed from inside the page, as an
auditor's running browser opens it.

Chromium is driven over its DevTools pipe (`--remote-debugging-pipe`: JSON messages on
file descriptors 3 and 4, no extra package). The index is opened several times in the
same browser (the first of them also pays for starting the page's renderer, as a browser
just started would); each time, once its list is whole, a search is typed one key at a
time, deleted again (back to the whole list), and a filter picked. Each step is timed with
the layout it causes (reading offsetHeight makes the browser lay the page out before the
clock stops). The first screen is the index's own mark (templates/auditor_index.html: the
frame after its first rows were drawn was painted), in ms from the start of navigation.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

TYPED = "customer 12"
_MEASURE = """new Promise(function (resolve) {
  function timed(act) {
    var started = performance.now();
    act();
    void document.body.offsetHeight;
    return performance.now() - started;
  }
  function mark(name) { var m = performance.getEntriesByName(name)[0]; return m && m.startTime; }
  function run() {
    if (mark("closedloop:ready") === undefined || mark("closedloop:first-screen") === undefined) {
      setTimeout(run, 5);
      return;
    }
    var q = document.getElementById("q"), keys = [], text = %(typed)s;
    for (var i = 1; i <= text.length; i++) {
      keys.push(timed(function () { q.value = text.slice(0, i); q.dispatchEvent(new Event("input")); }));
    }
    for (var j = text.length - 1; j >= 0; j--) {
      keys.push(timed(function () { q.value = text.slice(0, j); q.dispatchEvent(new Event("input")); }));
    }
    var state = document.getElementById("state");
    var filter = timed(function () { state.value = "closed"; state.dispatchEvent(new Event("change")); });
    resolve(JSON.stringify({
      "first screen": mark("closedloop:first-screen"),
      "whole list ready": mark("closedloop:ready"),
      "keystroke, slowest": Math.max.apply(null, keys),
      "keystroke, mean": keys.reduce(function (a, b) { return a + b; }, 0) / keys.length,
      "filter picked": filter
    }));
  }
  run();
})"""


class _DevTools:
    """Chromium on a DevTools pipe: send a command, read until its answer."""

    def __init__(self, chromium: str) -> None:
        to_chrome, self._send = os.pipe()
        self._receive, from_chrome = os.pipe()

        def fds() -> None:  # the child's fd 3 reads our commands, fd 4 writes its answers
            reads = fcntl.fcntl(to_chrome, fcntl.F_DUPFD, 10)  # above 3 and 4, not clobbered
            writes = fcntl.fcntl(from_chrome, fcntl.F_DUPFD, 10)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            preexec_fn=fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._id = 0
        self.session = ""

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._receive, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed its DevTools pipe")
                self._buffer += chunk
            raw, _, self._buffer = self._buffer.partition(b"\0")
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self._send)
        os.close(self._receive)


#: The floor: a page of one line, its first paint marked as the index marks its first
#: screen, opened from the same folder in the same browser.
_FLOOR_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>floor</p>
<script>requestAnimationFrame(function () { setTimeout(function () {
performance.mark("closedloop:first-screen"); }, 0); });</script></body></html>"""
_FLOOR = """new Promise(function (resolve) {
  (function wait() {
    var m = performance.getEntriesByName("closedloop:first-screen")[0];
    if (m) { resolve(m.startTime); } else { setTimeout(wait, 5); }
  })();
})"""


def index_timings(index: Path, runs: int = 4) -> dict[str, float]:
    """The index's timings in ms, each the best of `runs` openings in one browser, and
    the floor: a page of one line's first paint, opened as the index is."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {}
    browser = _DevTools(chromium)
    best: dict[str, float] = {}
    try:
        targets = browser.call("Target.getTargets")["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        browser.session = browser.call("Target.attachToTarget", targetId=page, flatten=True)[
            "sessionId"
        ]
        floor = index.with_name("bench-floor.html")
        floor.write_text(_FLOOR_PAGE, encoding="utf-8")
        for _ in range(runs):
            browser.call("Page.navigate", url="about:blank")
            browser.call("Page.navigate", url=floor.as_uri())
            answer = browser.call("Runtime.evaluate", expression=_FLOOR, awaitPromise=True)
            key = "floor: a page of one line, first paint"
            best[key] = min(answer["result"]["value"], best.get(key, float("inf")))
            browser.call("Page.navigate", url="about:blank")
            browser.call("Page.navigate", url=index.as_uri())
            answer = browser.call(
                "Runtime.evaluate",
                expression=_MEASURE % {"typed": json.dumps(TYPED)},
                awaitPromise=True,
                returnByValue=True,
            )
            for name, ms in json.loads(answer["result"]["value"]).items():
                key = f"index in browser: {name}"
                best[key] = min(ms, best.get(key, ms))
    finally:
        browser.close()
        index.with_name("bench-floor.html").unlink(missing_ok=True)
    return best


if __name__ == "__main__":
    import sys

    for name, ms in index_timings(Path(sys.argv[1])).items():
        print(f"{name:<44}{ms:>10.1f} ms")
