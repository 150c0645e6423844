"""Prometheus metrics, one registry per server (no process-global state): requests by route and
status, request latency, ask latency per stage, tokens, cost, cache hits, ingest jobs."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("ragkit_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("ragkit_http_request_seconds", "HTTP request latency (to the last byte)",
                                 ["route"], buckets=STAGE_BUCKETS, registry=r)
        self.in_flight = Gauge("ragkit_http_in_flight", "HTTP requests being served", registry=r)
        self.stage = Histogram("ragkit_ask_stage_seconds", "ask latency per stage", ["stage"],
                               buckets=STAGE_BUCKETS, registry=r)
        self.tokens = Counter("ragkit_tokens", "model tokens by kind", ["kind"], registry=r)
        self.cost = Counter("ragkit_cost_usd", "cost of answers served, USD", registry=r)
        self.answers = Counter("ragkit_answers", "answers served by outcome", ["outcome"], registry=r)
        self.cache_hits = Counter("ragkit_cache_hits", "answers served from a cache", ["kind"], registry=r)
        self.jobs = Counter("ragkit_ingest_jobs", "ingest jobs by final state", ["state"], registry=r)
        self.jobs_running = Gauge("ragkit_ingest_jobs_running", "ingest jobs running now", registry=r)
        self.rate_limited = Counter("ragkit_rate_limited", "requests refused by the per-key rate limit",
                                    registry=r)

    def observe_answer(self, answer) -> None:
        for stage, seconds in answer.latency.items():
            self.stage.labels(stage).observe(seconds)
        u = answer.usage
        for kind, n in (("input", u.input_tokens), ("output", u.output_tokens),
                        ("cache_read", u.cache_read_tokens), ("cache_write", u.cache_write_tokens)):
            if n:
                self.tokens.labels(kind).inc(n)
        if answer.cost_usd:
            self.cost.inc(answer.cost_usd)
        if answer.cache_hit:
            self.cache_hits.labels(answer.cache_hit).inc()
        self.answers.labels("abstained" if answer.abstained else "answered").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
