"""A real ragkit server on loopback (uvicorn in a thread, the app from ragkit.serve.create_app) over
a small temporary index: two tenants' uploads plus shared admin documents. Keys come through
$RAGKIT_API_KEYS-style entries and a keys file (hashed)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from ragkit.config import load_config
from ragkit.serve.app import create_app
from ragkit.serve.keys import hash_key
from ragkit.serve.server import build_server
from ragkit.serve.state import ServedRAG

REPO = Path(__file__).resolve().parents[2]
DOCS = {
    "acme/alpha.md": "# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019 by "
                     "the Northwind energy board.\n\n## Safety\n\nOperators of the alpha reactor wear blue badges.",
    "acme/pump.md": "# Acme pump\n\nThe acme pump moves 30 litres per minute. Its seals are replaced in autumn.",
    "globex/beta.md": "# Beta reactor\n\nThe beta reactor runs at 900 kelvin. The alpha reactor of globex is "
                      "cooled by river water. Globex operators wear red badges.",
    "globex/pump.md": "# Globex pump\n\nThe globex pump moves 12 litres per minute. Its seals are replaced every "
                      "spring.",
    "initech/notes.md": "# Initech notes\n\nInitech's alpha reactor is a model kit. It runs at room temperature.",
}
KEYS_ENV = "k-acme:acme:query+ingest; k-globex:globex:query; k-admin::admin; k-query-only:initech:query"
FILE_KEY = "k-file-slow"  # from the keys file: tenant acme, 3 requests then 1 a minute


@dataclass
class Live:
    base: str
    app: object
    server: object
    rag: ServedRAG
    home: Path
    thread: threading.Thread

    def client(self, key: str | None = None, **kw) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30, **kw)

    @property
    def state(self):
        return self.app.state.ragkit


def write_docs(root: Path, docs: dict[str, str]) -> None:
    for name, text in docs.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def start(cfg, rag: ServedRAG, env: dict[str, str], home: Path, keys=None) -> Live:
    app = create_app(cfg, rag=rag, env=env, keys=keys)
    server = build_server(app, "127.0.0.1", 0, cfg, "warning")
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return Live(f"http://127.0.0.1:{port}", app, server, rag, home, thread)


def wait_ready(live: Live, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with live.client() as c:
        while c.get("/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready")
            time.sleep(0.05)


def stop(live: Live) -> None:
    live.server.should_exit = True
    live.thread.join(30)
    live.rag.close()


def make_config(home: Path, **serve):
    keys_file = home / "keys.yaml"
    keys_file.write_text(json.dumps({"keys": [{"id": "file-slow", "sha256": hash_key(FILE_KEY), "tenant": "acme",
                                               "roles": ["query"], "rate_per_min": 1, "burst": 3}]}))
    return load_config(overrides={
        "home": str(home), "rerank": {"enabled": False},
        "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None},
        "serve": {"keys_file": str(keys_file), "burst": 1000, "rate_per_min": 60000, **serve}})


def parse_sse(lines):
    """Server-sent events as a browser's EventSource reads them (WHATWG HTML, 9.2.6): fields per
    line, comments (':') ignored, `data` lines joined with newlines, an event dispatched at a blank
    line, type 'message' when no `event` field came. Yields (type, data) and ('comment', text)."""
    event, data = "", []
    for raw in lines:
        line = raw.rstrip("\r")
        if line == "":
            if data:
                yield (event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            yield ("comment", line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
