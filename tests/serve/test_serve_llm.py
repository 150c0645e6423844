"""The server over an OpenAI-wire LLM (the real SDK inside ragkit, the loopback server as the
provider): heartbeat comments while the model is slow, and a client that disconnects mid-stream
frees its work (the provider stream is closed) and leaves one ledger row."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from ragkit.serve.state import ServedRAG
from tests.loopback.fixtures import fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply
from tests.serve.helpers import DOCS, KEYS_ENV, make_config, parse_sse, start, stop, wait_ready, write_docs

pytestmark = pytest.mark.integration
Q = "At what temperature does the alpha reactor run?"
GOOD = "The alpha reactor runs at 451 kelvin. [Source: acme/alpha.md]"


@pytest.fixture
def llm_live(tmp_path, loopback, fake_keys, embedder_warm):  # noqa: F811
    cfg = make_config(tmp_path, heartbeat_s=0.05)
    cfg = cfg.model_copy(update={"llm": cfg.llm.model_validate({"small": openai_route(loopback)}),
                                 "cache": cfg.cache.model_copy(update={"enabled": False})})
    write_docs(tmp_path / "uploads", DOCS)
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([tmp_path / "uploads"])
    live = start(cfg, rag, {"RAGKIT_API_KEYS": KEYS_ENV}, tmp_path)
    wait_ready(live)
    yield live, loopback
    stop(live)


def generate_rows(live):
    return [r for r in live.rag.gateway.ledger.rows() if r.stage == "generate"]


def test_heartbeats_while_the_model_is_slow(llm_live):
    live, provider = llm_live
    provider.script(None, Reply.ok(GOOD, delay_s=0.4, input_tokens=300, output_tokens=20))
    events = []
    with live.client("k-acme") as c:
        t0 = time.perf_counter()
        with c.stream("POST", "/v1/ask", json={"question": Q, "stream": True}) as r:
            for ev in parse_sse(r.iter_lines()):
                events.append((*ev, time.perf_counter() - t0))
    beats = [t for k, d, t in events if k == "comment" and d == "heartbeat"]
    first_delta = min(t for k, _, t in events if k == "delta")
    done = json.loads([d for k, d, _ in events if k == "done"][0])
    assert len([b for b in beats if b < first_delta]) >= 3  # 0.4 s of silence, a comment each 0.05 s
    assert "451 kelvin" in done["text"] and done["citations"][0]["verified"]
    assert done["usage"]["input_tokens"] == 300 and done["usage"]["output_tokens"] == 20


def test_client_disconnect_mid_stream_frees_the_work_and_leaves_one_ledger_row(llm_live):
    live, provider = llm_live
    provider.script(None, Reply.slow_stream(n_deltas=400, delta_delay_s=0.02))
    seen = 0
    with httpx.Client(base_url=live.base, headers={"Authorization": "Bearer k-acme"}, timeout=30) as c:
        with c.stream("POST", "/v1/ask", json={"question": Q, "stream": True}) as r:
            for kind, _data in parse_sse(r.iter_lines()):
                if kind == "delta":
                    seen += 1
                    if seen == 5:
                        break  # the client goes away mid-answer
    request = provider.wait_ended(timeout=10)  # the provider's stream was closed by ragkit, not run out
    assert seen == 5 and request.outcome == "client_closed" and request.deltas_sent < 400
    deadline = time.monotonic() + 10
    while not generate_rows(live) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    rows = generate_rows(live)
    assert len(rows) == 1, rows
    assert rows[0].outcome != "ok", rows[0]  # a cut-off call, recorded as such
    assert live.state.metrics.in_flight._value.get() == 0
