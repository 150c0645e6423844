"""`ragkit serve` as its own process: /readyz is 503 until the index is open and the models are
loaded; kill -9 during an ingest job, restart: the index is consistent, the job shows as failed,
a re-run converges; SIGTERM lets an in-flight streamed answer finish, then the process exits 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from ragkit.rag import RAG
from tests.serve.helpers import DOCS, KEYS_ENV, REPO, parse_sse, write_docs

pytestmark = pytest.mark.integration
NEW = {"kappa.md": "# Kappa filters\n\nKappa filters are changed every 90 days by the night shift.",
       "lambda.md": "# Lambda locks\n\nLambda locks open with a brass key."}
AUTH = {"Authorization": "Bearer k-acme"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, cfg_file: Path, env_extra: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "RAGKIT_API_KEYS": KEYS_ENV, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
        self.p = subprocess.Popen([sys.executable, "-m", "ragkit.cli", "serve", "--config", str(cfg_file),
                                   "--port", str(self.port), "--log-level", "warning"], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def statuses_until_ready(self, timeout: float = 90) -> list[int]:
        seen: list[int] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.p.poll() is None, self.output()
            try:
                code = httpx.get(self.base + "/readyz", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.02)
                continue
            seen.append(code)
            if code == 200:
                return seen
            time.sleep(0.01)
        raise AssertionError(f"not ready: {seen[-3:]}\n{self.output()}")

    def output(self) -> str:
        if self.p.poll() is None:
            return "(running)"
        return self.p.stdout.read() if self.p.stdout else ""

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(10)


def wait_job(base: str, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not end")


def consistent(cfg_file: Path) -> tuple[set[str], int, int, int]:
    with RAG(cfg_file) as rag:
        entries = rag.manifest.all()
        return (set(entries), rag.store.points(), sum(len(e.chunk_ids) for e in entries.values()),
                len(rag.manifest.pending()))


@pytest.fixture
def cfg_file(tmp_path: Path, embedder_warm) -> Path:
    cfg = {"home": str(tmp_path / "home"), "rerank": {"enabled": False},
           "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None},
           "serve": {"shutdown_grace_s": 20}}
    path = tmp_path / "ragkit.yaml"
    path.write_text(yaml.safe_dump(cfg))
    write_docs(tmp_path / "home" / "uploads", DOCS)
    with RAG(path, embedder=embedder_warm) as rag:
        rag.ingest([tmp_path / "home" / "uploads"])
    return path


def test_kill_during_ingest_restart_recovers_and_sigterm_is_graceful(cfg_file):
    first = Proc(cfg_file, {"RAGKIT_FAULT": "after_upsert"})  # SIGKILLs itself mid-job, after a store write
    try:
        statuses = first.statuses_until_ready()
        assert statuses[0] == 503 and statuses[-1] == 200, statuses  # 503 while loading, then ready
        r = httpx.post(first.base + "/v1/ingest", headers={**AUTH, "Idempotency-Key": "k1"}, timeout=10,
                       files=[("files", (n, t.encode())) for n, t in NEW.items()])
        assert r.status_code == 202
        job_id = r.json()["id"]
        assert first.p.wait(30) == -signal.SIGKILL
    finally:
        first.kill()
    before = consistent(cfg_file)
    # killed mid-job: the new documents are journalled as pending, not committed; their chunks are partly in
    assert before[0] == set(DOCS) and before[3] >= 1 and before[1] > before[2]

    second = Proc(cfg_file)
    try:
        second.statuses_until_ready()
        job = httpx.get(f"{second.base}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()
        assert job["state"] == "failed" and "stopped before the job ended" in job["error"]
        hits = httpx.post(second.base + "/v1/search", headers=AUTH, timeout=10,
                          json={"query": "kappa filters night shift", "mode": "sparse"}).json()["results"]
        assert all(h["source"] != "acme/kappa.md" for h in hits)  # the half-written document rolled back
        r = httpx.post(second.base + "/v1/ingest", headers={**AUTH, "Idempotency-Key": "k2"}, timeout=10,
                       files=[("files", (n, t.encode())) for n, t in NEW.items()])
        assert wait_job(second.base, r.json()["id"])["state"] == "succeeded"  # the re-run converges

        # SIGTERM while a streamed answer is in flight: it finishes, then the process exits 0
        events: list[tuple[str, str]] = []

        def read() -> None:
            with httpx.Client(timeout=30) as c:
                with c.stream("POST", second.base + "/v1/ask", headers=AUTH,
                              json={"question": "How often are kappa filters changed?", "stream": True}) as resp:
                    for ev in parse_sse(resp.iter_lines()):
                        events.append(ev)

        t = threading.Thread(target=read)
        t.start()
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.002)
        second.p.send_signal(signal.SIGTERM)
        t.join(30)
        assert second.p.wait(30) == 0, second.output()
        kinds = [k for k, _ in events]
        assert kinds[0] == "comment" and kinds[-1] == "done", kinds
        done = json.loads(events[-1][1])
        assert "90 days" in done["text"] and done["citations"][0]["source"] == "acme/kappa.md"
    finally:
        second.kill()
    sources, points, chunk_ids, pending = consistent(cfg_file)
    assert sources == set(DOCS) | {f"acme/{n}" for n in NEW} and points == chunk_ids and pending == 0
