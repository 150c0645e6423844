"""The JSON API over real HTTP (uvicorn on loopback, httpx): answers with verified citations,
search inside the key's tenant, keys and roles, the rate limit, one error envelope with no
tracebacks, metrics, the cost report and the OpenAPI document."""

from __future__ import annotations

import time

import pytest

from tests.serve.helpers import FILE_KEY

pytestmark = pytest.mark.integration
Q = "At what temperature does the alpha reactor run?"


def assert_envelope(r, status: int, type_: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "code"}, body
    if type_:
        assert body["error"]["type"] == type_, body
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body["error"]


def test_ask_answers_from_the_keys_tenant_with_verified_citations(live):
    with live.client("k-acme") as c:
        r = c.post("/v1/ask", json={"question": Q})
    assert r.status_code == 200, r.text
    a = r.json()
    assert "451 kelvin" in a["text"] and a["verified"] and not a["abstained"]
    assert a["citations"] and all(x["verified"] and x["source"] == "acme/alpha.md" for x in a["citations"])
    assert {ch["source"] for ch in a["chunks"]} <= {"acme/alpha.md", "acme/pump.md"}
    assert a["latency"]["total"] > 0 and set(a["usage"]) == {"input_tokens", "output_tokens", "cache_read_tokens",
                                                               "cache_write_tokens"}
    with live.client("k-globex") as c:
        g = c.post("/v1/ask", json={"question": Q}).json()
    assert "451" not in g["text"] and all(ch["source"].startswith("globex/") for ch in g["chunks"])


def test_search_is_narrowed_by_the_request_filter_never_widened(live):
    with live.client("k-acme") as c:
        own = c.post("/v1/search", json={"query": "pump litres per minute", "top_k": 10}).json()
        other = c.post("/v1/search", json={"query": "pump litres per minute",
                                          "filters": {"source": "globex/pump.md"}}).json()
        either = c.post("/v1/search", json={"query": "reactor", "filters": {"or": [{"source": {"glob": "*"}},
                                                                                    {"not": {"source": "x"}}]}}).json()
        sparse = c.post("/v1/search", json={"query": "seals", "mode": "sparse", "top_k": 1}).json()
    assert own["results"] and {h["source"] for h in own["results"]} <= {"acme/alpha.md", "acme/pump.md"}
    assert other["results"] == []  # another tenant's document, asked for by name: nothing
    assert either["results"] and all(h["source"].startswith("acme/") for h in either["results"])
    assert [h["source"] for h in sparse["results"]] == ["acme/pump.md"]
    with live.client("k-admin") as c:
        everything = c.post("/v1/search", json={"query": "pump litres per minute", "top_k": 10}).json()
    assert {"acme/pump.md", "globex/pump.md"} <= {h["source"] for h in everything["results"]}


def test_keys_and_roles(live):
    with live.client() as c:
        assert_envelope(c.post("/v1/ask", json={"question": Q}), 401, "unauthorized")
        r = c.post("/v1/ask", json={"question": Q}, headers={"Authorization": "Bearer nope"})
        assert assert_envelope(r, 401)["code"] == "invalid_api_key"
        assert "nope" not in r.text  # the presented key is never echoed
        assert c.post("/v1/search", json={"query": "pump"}, headers={"X-API-Key": "k-acme"}).status_code == 200
        assert_envelope(c.post("/v1/search?api_key=k-acme", json={"query": "pump"}), 401)  # not from URLs
    with live.client("k-globex") as c:
        assert_envelope(c.post("/v1/ingest", files=[("files", ("x.md", b"# x"))]), 403, "forbidden")
        assert_envelope(c.get("/metrics"), 403)
        assert_envelope(c.get("/v1/cost"), 403)


def test_rate_limit_is_per_key_with_retry_after(live):
    with live.client(FILE_KEY) as c:  # burst 3, then 1 a minute
        codes = [c.post("/v1/search", json={"query": "pump"}).status_code for _ in range(3)]
        r = c.post("/v1/search", json={"query": "pump"})
    assert codes == [200, 200, 200]
    err = assert_envelope(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60 and "retry in" in err["message"]
    with live.client("k-acme") as c:  # another key is not held back
        assert c.post("/v1/search", json={"query": "pump"}).status_code == 200


def test_one_error_envelope_for_every_failure(live):
    with live.client("k-acme") as c:
        assert_envelope(c.get("/v1/nowhere"), 404, "not_found")
        assert_envelope(c.put("/v1/ask", json={}), 405)
        assert_envelope(c.post("/v1/ask", json={}), 422, "invalid_request")
        assert_envelope(c.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"}), 422)
        assert_envelope(c.post("/v1/ask", json={"question": Q, "surprise": 1}), 422)
        assert_envelope(c.post("/v1/ask", json={"question": "x" * 5000}), 413, "request_too_large")
        assert_envelope(c.post("/v1/ask", json={"question": "   "}), 400)
        assert_envelope(c.post("/v1/search", json={"query": "pump", "top_k": 1000}), 400)
        e = assert_envelope(c.post("/v1/search", json={"query": "pump", "filters": {"page": {"bogus": 1}}}), 400,
                            "invalid_filter")
        assert "bogus" in e["message"]
        e = assert_envelope(c.post("/v1/search", json={"query": "pump", "filters": {"colour": "red"}}), 400,
                            "invalid_filter")
        assert "colour" in e["message"]
        assert_envelope(c.post("/v1/ingest", content=b"x", headers={"content-type": "text/plain"}), 415)
        big = b"x" * (33 * 1024 * 1024)
        assert_envelope(c.post("/v1/ask", content=big, headers={"content-type": "application/json"}), 413)
        r = c.get("/v1/jobs/does-not-exist")
        assert_envelope(r, 404)
        assert r.headers.get("x-request-id")


def test_metrics_count_requests_stages_and_answers(live):
    with live.client("k-acme") as c:
        c.post("/v1/ask", json={"question": Q})
        c.get("/v1/nowhere")
    with live.client("k-admin") as c:
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'ragkit_http_requests_total{method="POST",route="/v1/ask",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    for stage in ("embed", "retrieve", "generate", "verify", "total"):
        assert f'ragkit_ask_stage_seconds_count{{stage="{stage}"}}' in text
    assert 'ragkit_answers_total{outcome="answered"}' in text
    assert "ragkit_http_request_seconds_bucket" in text and "ragkit_ingest_jobs_running" in text


def test_cost_report_and_openapi(live):
    with live.client("k-admin") as c:
        cost = c.get("/v1/cost").json()
        bad = c.get("/v1/cost", params={"since": "yesterday-ish"})
        spec = c.get("/openapi.json").json()
    assert {"totals", "by_model", "by_stage", "rows"} <= set(cost)
    assert_envelope(bad, 400)
    paths = set(spec["paths"])
    assert {"/v1/ask", "/v1/search", "/v1/ingest", "/v1/jobs/{job_id}", "/v1/documents",
            "/v1/documents/{source}", "/v1/chat/completions", "/v1/models", "/v1/cost", "/healthz", "/readyz",
            "/metrics"} <= {p.replace("{source:path}", "{source}") for p in paths}


def test_healthz_checks_nothing_and_readyz_says_ready(live):
    with live.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        t = time.perf_counter()
        r = c.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and time.perf_counter() - t < 2


def test_documents_say_when_they_were_stored_even_before_the_server_started(live):
    """The fixture ingests before the server starts (as `ragkit ingest` would): the index view's
    "last ingest" comes from the manifest, not only from the server's own jobs."""
    import datetime as dt

    with live.client("k-acme") as c:
        docs = c.get("/v1/documents").json()["documents"]
    assert docs and all(d["ingested_at"] for d in docs)
    stored = [dt.datetime.fromisoformat(d["ingested_at"]) for d in docs]
    now = dt.datetime.now(dt.timezone.utc)
    assert all(dt.timedelta(0) <= now - t < dt.timedelta(hours=1) for t in stored)
