"""Bounded load on `ragkit serve` over loopback: C concurrent clients for T seconds on /v1/search
and /v1/ask (extractive), then the same questions through the Python API in the same run.

Prints requests/s, p50/p95/p99, errors (target 0), peak RSS and its growth over the run (target
< 10%), and the HTTP overhead against calling RAG directly (target: p50 overhead <= 5 ms).
The server runs in this process (uvicorn in a thread), so RSS covers server and index.

    .venv/bin/python bench/serve.py [--clients 16] [--seconds 60] [--docs docs/]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
import time
from pathlib import Path

import httpx

QUESTIONS = ["How do I scale out to a Qdrant server?", "What does ragkit cost?", "How are citations verified?",
             "Which embedder is the default?", "How does the reranker run without torch?",
             "What is the semantic cache?", "How do I ingest documents?", "What does ragkit eval report?"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000 if xs else float("nan")


def load(base: str, path: str, body_of, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    rss = [rss_mb()]

    def worker(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            n = i
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.post(path, json=body_of(QUESTIONS[n % len(QUESTIONS)]))
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    if r.status_code != 200:
                        errors[0] += 1
                n += 1

    def sampler() -> None:
        while time.monotonic() < stop:
            rss.append(rss_mb())
            time.sleep(0.5)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)] + [threading.Thread(target=sampler)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"requests": len(lat), "rps": len(lat) / wall, "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95),
            "p99_ms": pct(lat, 99), "errors": errors[0], "rss_start_mb": rss[0], "rss_peak_mb": max(rss),
            "rss_growth_pct": 100 * (rss[-1] - rss[0]) / rss[0]}


def direct(fn, n: int) -> float:
    lat = []
    for i in range(n):
        t = time.perf_counter()
        fn(QUESTIONS[i % len(QUESTIONS)])
        lat.append(time.perf_counter() - t)
    return pct(lat, 50)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--docs", default=str(Path(__file__).resolve().parents[1] / "docs"))
    args = ap.parse_args()
    from ragkit.config import load_config
    from ragkit.serve.app import create_app
    from ragkit.serve.server import build_server
    from ragkit.serve.state import ServedRAG

    home = tempfile.mkdtemp(prefix="ragkit-bench-serve-")
    cfg = load_config(overrides={"home": home, "cache": {"enabled": False},
                                 "serve": {"rate_per_min": 1e9, "burst": 10**6}})  # measure the server, not the limit
    rag = ServedRAG(cfg)
    rag.ingest([args.docs])
    app = create_app(cfg, rag=rag, env={})
    server = build_server(app, "127.0.0.1", 0, cfg, "warning")
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    while httpx.get(base + "/readyz").status_code != 200:
        time.sleep(0.1)
    out = {"clients": args.clients, "seconds": args.seconds}
    # sequential, one client: HTTP p50 vs the Python API p50 (the overhead), same questions, warm
    with httpx.Client(base_url=base) as c:
        for kind, path, body, fn in (
                ("search", "/v1/search", lambda q: {"query": q}, lambda q: rag.search(q)),
                ("ask", "/v1/ask", lambda q: {"question": q}, lambda q: rag.ask(q))):
            direct(fn, len(QUESTIONS))  # warm
            api = direct(fn, 3 * len(QUESTIONS))
            http = direct(lambda q: c.post(path, json=body(q)).raise_for_status(), 3 * len(QUESTIONS))
            out[f"{kind}_direct_p50_ms"], out[f"{kind}_http_p50_ms"] = api, http
            out[f"{kind}_overhead_p50_ms"] = http - api
    # first SSE event time of a streamed ask
    with httpx.Client(base_url=base) as c:
        t = time.perf_counter()
        with c.stream("POST", "/v1/ask", json={"question": QUESTIONS[0], "stream": True}) as r:
            for line in r.iter_lines():
                if line.startswith("event: delta"):
                    out["stream_first_delta_ms"] = (time.perf_counter() - t) * 1000
                    break
    out["search_load"] = load(base, "/v1/search", lambda q: {"query": q}, args.clients, args.seconds)
    out["ask_load"] = load(base, "/v1/ask", lambda q: {"question": q}, args.clients, args.seconds)
    server.should_exit = True
    th.join(30)
    rag.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
