"""POST /v1/ask streamed as Server-Sent Events, read as a browser's EventSource would: deltas that
add up to the answer, each citation once (the same ones, verified, as the JSON answer), a `done`
event with the whole answer, heartbeats while the answer is worked on; and the OpenAI SDK, pointed
at ragkit's base URL, streaming and not, gets the grounded answer with its citations in the text
and in a structured field."""

from __future__ import annotations

import json
import time

import pytest
from openai import OpenAI

from tests.serve.helpers import parse_sse

pytestmark = pytest.mark.integration
Q = "At what temperature does the alpha reactor run?"


def sse(live, key, body, headers=None):
    out = []
    with live.client(key) as c:
        t0 = time.perf_counter()
        with c.stream("POST", "/v1/ask", json=body, headers=headers or {}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            for ev in parse_sse(r.iter_lines()):
                out.append((ev[0], ev[1], time.perf_counter() - t0))
    return out


def test_stream_events_carry_the_answer_and_its_citations(live):
    with live.client("k-acme") as c:
        plain = c.post("/v1/ask", json={"question": Q}).json()
    events = sse(live, "k-acme", {"question": Q, "stream": True})
    kinds = [k for k, _, _ in events if k != "comment"]
    assert kinds[-1] == "done" and "error" not in kinds and kinds.count("done") == 1
    assert kinds.index("citation") > max(i for i, k in enumerate(kinds) if k == "delta")
    deltas = "".join(json.loads(d)["text"] for k, d, _ in events if k == "delta")
    cites = [json.loads(d) for k, d, _ in events if k == "citation"]
    done = json.loads(events[-1][1])
    assert done["text"] == deltas == plain["text"] and "451 kelvin" in done["text"]
    assert cites == done["citations"] == plain["citations"] and all(c["verified"] for c in cites)
    assert cites[0]["source"] == "acme/alpha.md" and cites[0]["quote"]
    assert done["usage"] and done["latency"]["total"] > 0 and "cost_usd" in done


def test_accept_header_asks_for_the_stream_too(live):
    events = sse(live, "k-globex", {"question": Q}, headers={"Accept": "text/event-stream"})
    done = json.loads([d for k, d, _ in events if k == "done"][0])
    assert all(ch["source"].startswith("globex/") for ch in done["chunks"])


def test_openai_sdk_gets_grounded_answers_with_citations(live):
    client = OpenAI(base_url=live.base + "/v1", api_key="k-acme", max_retries=0)
    assert [m.id for m in client.models.list()] == ["ragkit"]
    r = client.chat.completions.create(model="ragkit", messages=[
        {"role": "system", "content": "be brief"}, {"role": "user", "content": Q}])
    text = r.choices[0].message.content
    assert "451 kelvin" in text and "[Source: acme/alpha.md]" in text
    cites = r.model_extra["citations"]
    assert cites and cites[0]["source"] == "acme/alpha.md" and cites[0]["verified"]
    assert r.model_extra["ragkit"]["verified"] is True and r.usage is not None
    assert r.choices[0].finish_reason == "stop"

    pieces, last = [], None
    stream = client.chat.completions.create(model="ragkit", stream=True, messages=[{"role": "user", "content": Q}],
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason == "stop":
            last = chunk
    assert "".join(pieces) == text
    assert last is not None and last.model_extra["citations"] == cites


def test_openai_sdk_filters_stay_inside_the_tenant(live):
    client = OpenAI(base_url=live.base + "/v1", api_key="k-globex", max_retries=0)
    r = client.chat.completions.create(model="ragkit", messages=[{"role": "user", "content": Q}],
                                       extra_body={"filters": {"source": "acme/alpha.md"}})
    assert "451" not in r.choices[0].message.content
    assert r.model_extra["citations"] == []


def test_openai_sdk_errors_are_sdk_errors(live):
    import openai

    bad = OpenAI(base_url=live.base + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="ragkit", messages=[{"role": "user", "content": Q}])
    assert info.value.body["type"] == "unauthorized"
    ok = OpenAI(base_url=live.base + "/v1", api_key="k-acme", max_retries=0)
    with pytest.raises(openai.BadRequestError):
        ok.chat.completions.create(model="ragkit", messages=[{"role": "assistant", "content": "hi"}])
