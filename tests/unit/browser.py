"""Load a page in Debian's headless chromium and report what a reader would miss, over the DevTools
protocol (https://chromedevtools.github.io/devtools-protocol/): `Network.loadingFailed` events, through
`Runtime.evaluate` every `<img>` with its source and `naturalWidth` (0 for a broken image), and how far
the page runs past the window's width (sideways scrolling) at a given width and media (`print`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
DEADLINE = 60.0
_IMAGES = """JSON.stringify([...document.images].map(i => ({src: i.src.slice(0, 40), complete: i.complete,
    width: i.naturalWidth})))"""


@dataclass
class Loaded:
    """What a page did when it loaded."""

    failed: list[str] = field(default_factory=list)  # URL: error, per failed request
    images: list[dict[str, Any]] = field(default_factory=list)  # src (its start), complete, width
    text: str = ""  # document.body.innerText
    overflow: int = 0  # CSS pixels the page is wider than the window
    value: Any = None  # what `load`'s `evaluate` expression returned

    @property
    def broken_images(self) -> list[dict[str, Any]]:
        return [image for image in self.images if not image["complete"] or image["width"] == 0]


class Browser:
    """One headless chromium with a fresh profile; `load` opens a page in a new tab."""

    def __init__(self, port: int) -> None:
        self.port, self._ids = port, 0

    def _call(self, ws: ClientConnection, method: str, events: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        self._ids += 1
        ws.send(json.dumps({"id": self._ids, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv(timeout=DEADLINE))
            if message.get("id") == self._ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            events.append(message)

    def load(self, page: Path, width: int = 1280, media: str = "screen", evaluate: str = "null") -> Loaded:
        """`page` in a window `width` CSS pixels wide (1280: a laptop), for `media` screen or print; the
        JavaScript expression `evaluate` is run once it loaded (its value must be JSON)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=DEADLINE) as answer:
            target = json.load(answer)
        events: list[dict[str, Any]] = []
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=DEADLINE) as ws:
            self._call(ws, "Page.enable", events)
            self._call(ws, "Network.enable", events)
            self._call(
                ws,
                "Emulation.setDeviceMetricsOverride",
                events,
                width=width,
                height=800,
                deviceScaleFactor=1,
                mobile=False,
            )
            self._call(ws, "Emulation.setEmulatedMedia", events, media=media)
            self._call(ws, "Page.navigate", events, url=page.resolve().as_uri())
            deadline = time.monotonic() + DEADLINE
            while not any(e.get("method") == "Page.loadEventFired" for e in events):
                assert time.monotonic() < deadline, f"{page} did not finish loading"
                events.append(json.loads(ws.recv(timeout=DEADLINE)))
            images = self._call(ws, "Runtime.evaluate", events, expression=_IMAGES, returnByValue=True)
            text = self._call(ws, "Runtime.evaluate", events, expression="document.body.innerText", returnByValue=True)
            overflow = self._call(
                ws,
                "Runtime.evaluate",
                events,
                returnByValue=True,
                expression=("document.documentElement.scrollWidth - document.documentElement.clientWidth"),
            )
            value = self._call(ws, "Runtime.evaluate", events, expression=evaluate, returnByValue=True)
        failed = [
            f"{e['params'].get('requestId')}: {e['params'].get('errorText')}"
            for e in events
            if e.get("method") == "Network.loadingFailed"
        ]
        return Loaded(
            failed,
            json.loads(images["result"]["value"]),
            text["result"]["value"],
            int(overflow["result"]["value"]),
            value["result"].get("value"),
        )


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """A headless chromium bound to 127.0.0.1 with its own profile; stopped (and the profile removed) after."""
    assert CHROMIUM, "chromium is not installed"
    profile = Path(tempfile.mkdtemp(prefix="sugarlab-chromium-"))
    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active = profile / "DevToolsActivePort"  # chromium writes its port here once it listens
        deadline = time.monotonic() + DEADLINE
        while not (active.is_file() and active.read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.1)
        yield Browser(int(active.read_text().split()[0]))
    finally:
        process.terminate()
        try:
            process.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)
