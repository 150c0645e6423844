"""One framework in its own process, driven over a pipe by bench/compare.py.

    python bench/compare_lib/worker.py FRAMEWORK WORKDIR MODEL_PATH RERANKER_PATH POOL

Reads one JSON command per line on stdin and answers one JSON line on the original stdout
(everything the libraries print goes to stderr). Commands: ingest, bare_encode, reingest,
retrieve, latency, quit. Each framework gets its own process so its peak memory (ru_maxrss) is
its own, and so the benchmark can alternate frameworks between steps.

`Worker` is the parent's side of the pipe.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
}
FRAMEWORKS = ("ragkit", "llamaindex", "haystack")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _framework(key: str, workdir: Path, model: str, reranker: str | None, pool: int):
    """The adapter for `key`, with its framework's modules imported (untimed)."""
    import importlib

    if key not in FRAMEWORKS:
        raise ValueError(f"unknown framework {key!r}; known: {FRAMEWORKS}")
    mod = importlib.import_module(f"compare_lib.fw_{key}")
    for name in mod.PRELOAD:
        importlib.import_module(name)
    return mod.FRAMEWORK(workdir, model, reranker, pool)


def bare_encode(texts: list[str], model_path: str, limit: int = 0) -> dict:
    """A bare `SentenceTransformer.encode` of `texts`, or of a seeded random sample of `limit` of them
    (same length mix; the model is loaded and warmed outside the timing)."""
    import random

    from sentence_transformers import SentenceTransformer

    if limit and len(texts) > limit:
        texts = random.Random(11).sample(texts, limit)
    model = SentenceTransformer(model_path, device="cpu")
    model.encode(texts[:8], batch_size=8, show_progress_bar=False)
    t = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    seconds = time.perf_counter() - t
    del model
    return {"seconds": seconds, "chunks": len(texts)}


def handle(fw, cmd: dict, model_path: str) -> dict:
    op = cmd["cmd"]
    if op == "fusions":
        return {"fusions": list(importlib.import_module(type(fw).__module__).FUSIONS)}
    if op == "ingest":
        t = time.perf_counter()
        out = fw.ingest(Path(cmd["corpus"]))
        out["seconds"] = time.perf_counter() - t
        out["peak_rss_mb"] = peak_rss_mb()
        return out
    if op == "bare_encode":
        return bare_encode(fw.chunk_texts(), model_path, cmd.get("limit", 0))
    if op == "reingest":
        t = time.perf_counter()
        out = fw.reingest(Path(cmd["corpus"]))
        out["seconds"] = time.perf_counter() - t
        return out
    if op == "retrieve":
        t = time.perf_counter()
        kw = {"fusion": cmd["fusion"]} if cmd.get("fusion") else {}
        runs, reranked = fw.retrieve(cmd["mode"], cmd["queries"], cmd["depth"], cmd.get("rerank_head", 0), **kw)
        return {"runs": runs, "reranked": reranked, "seconds": time.perf_counter() - t}
    if op == "fusion_runs":
        t = time.perf_counter()
        runs = fw.fusion_runs(cmd["queries"], cmd["depth"], cmd["modes"])
        return {"runs": runs, "seconds": time.perf_counter() - t}
    if op == "latency":
        mode, k, head = cmd["mode"], cmd["top_k"], cmd.get("rerank_head", 0)
        fw.search_one(mode, "warm up query", k, head)  # builds retrievers / loads models untimed
        times = []
        for q in cmd["queries"]:
            t = time.perf_counter()
            n = fw.search_one(mode, q, k, head)
            times.append(time.perf_counter() - t)
            if n == 0:
                raise RuntimeError(f"{fw.name} {mode}: no hits for {q!r}")
        return {"seconds": times}
    raise ValueError(f"unknown command {op!r}")


def main(argv: list[str]) -> int:
    key, workdir, model_path, reranker, pool = argv
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library prints go to stderr; the pipe carries only answers
    sys.stdout = sys.stderr
    sys.path[:0] = [str(BENCH), str(REPO)]
    fw = _framework(key, Path(workdir), model_path, reranker or None, int(pool))
    proto.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            fw.close()
            proto.write(json.dumps({"bye": True}) + "\n")
            return 0
        try:
            answer = handle(fw, cmd, model_path)
        except Exception:  # reported to the parent, which stops the run with it
            answer = {"error": traceback.format_exc()}
        proto.write(json.dumps(answer) + "\n")
    return 0


class WorkerError(RuntimeError):
    pass


class Worker:
    """The parent's handle on one framework process."""

    def __init__(self, key: str, workdir: Path, model_path: str, reranker: str | None, pool: int, log: Path):
        self.key = key
        env = {**os.environ, **OFFLINE_ENV, "PYTHONPATH": os.pathsep.join([str(BENCH), str(REPO)])}
        self._log = open(log, "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), key, str(workdir), model_path, reranker or "", str(pool)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, cwd=str(REPO), env=env)
        self._read()  # "ready"

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"{self.key} worker exited (code {self.proc.poll()}); see {self._log.name}")
        answer = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"{self.key}: {answer['error']}")
        return answer

    def call(self, cmd: str, **kwargs) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self, kill: bool = False) -> None:
        """Ask the worker to quit (or kill it at once, when the run is stopping on an error)."""
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                try:
                    self.call("quit")
                except (WorkerError, BrokenPipeError, OSError):
                    pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


if __name__ == "__main__":
    sys.path[:0] = [str(BENCH), str(REPO)]
    raise SystemExit(main(sys.argv[1:]))
