"""POST /v1/chat and the session routes over a live server (real index, real embedder, offline
condenser): a follow-up is condensed and answered with the /v1/ask shape plus the standalone
question; streamed, a `condensed` event comes first and `done` carries the same JSON; sessions are
the key's tenant's: another tenant neither sees nor deletes them."""

from __future__ import annotations

import json

import pytest

from tests.serve.helpers import parse_sse

pytestmark = pytest.mark.integration


def test_chat_follow_up_is_condensed_and_answered_like_ask(live):
    with live.client("k-acme") as c:
        c.delete("/v1/chat/sessions/s1")
        first = c.post("/v1/chat", json={"session_id": "s1", "message": "What runs at 451 kelvin?"}).json()
        assert first["standalone_question"] == "What runs at 451 kelvin?" and first["turn"] == 1
        second = c.post("/v1/chat", json={"session_id": "s1", "message": "Who commissioned it?",
                                          "filters": None, "stream": False})
        assert second.status_code == 200, second.text
        body = second.json()
        ask_keys = set(c.post("/v1/ask", json={"question": "Who commissioned the alpha reactor?"}).json())
        assert ask_keys <= set(body) and body["turn"] == 2 and body["session_id"] == "s1"
        assert body["standalone_question"] != "Who commissioned it?"
        assert "commissioned" in body["standalone_question"]
        shown = c.get("/v1/chat/sessions/s1").json()
        assert [t["question"] for t in shown["turns"]] == ["What runs at 451 kelvin?", "Who commissioned it?"]
        assert shown["turns"][1]["standalone"] == body["standalone_question"]


def test_chat_stream_sends_the_standalone_question_first(live):
    with live.client("k-acme") as c:
        with c.stream("POST", "/v1/chat", json={"session_id": "s2", "message": "How fast does the acme pump move water?",
                                                "stream": True}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            events = [e for e in parse_sse(r.iter_lines()) if e[0] != "comment"]
    kinds = [k for k, _ in events]
    assert kinds[0] == "condensed" and kinds[-1] == "done" and "error" not in kinds
    done = json.loads(events[-1][1])
    assert done["standalone_question"] == json.loads(events[0][1])["standalone_question"]
    assert done["session_id"] == "s2" and done["text"]


def test_sessions_are_per_tenant(live):
    with live.client("k-acme") as acme, live.client("k-globex") as globex:
        acme.post("/v1/chat", json={"session_id": "shared-id", "message": "What runs at 451 kelvin?"})
        assert globex.get("/v1/chat/sessions/shared-id").status_code == 404
        assert globex.delete("/v1/chat/sessions/shared-id").status_code == 404
        globex.post("/v1/chat", json={"session_id": "shared-id", "message": "What runs at 900 kelvin?"})
        a = acme.get("/v1/chat/sessions/shared-id").json()["turns"]
        g = globex.get("/v1/chat/sessions/shared-id").json()["turns"]
        assert [t["question"] for t in a] == ["What runs at 451 kelvin?"]
        assert [t["question"] for t in g] == ["What runs at 900 kelvin?"]
        assert acme.delete("/v1/chat/sessions/shared-id").json()["deleted"] == 1
        assert acme.get("/v1/chat/sessions/shared-id").status_code == 404
        assert globex.get("/v1/chat/sessions/shared-id").status_code == 200


def test_chat_request_is_validated(live):
    with live.client("k-acme") as c:
        assert c.post("/v1/chat", json={"session_id": "s", "message": "hi", "top_k": 3}).status_code == 422
        assert c.post("/v1/chat", json={"session_id": "a/b", "message": "hi"}).status_code == 422
        assert c.post("/v1/chat", json={"session_id": "s", "message": ""}).status_code == 422
    with live.client() as anonymous:
        assert anonymous.post("/v1/chat", json={"session_id": "s", "message": "hi"}).status_code == 401
