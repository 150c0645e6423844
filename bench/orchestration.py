"""Orchestration benchmark: cache latencies and ragkit's per-call overhead over the bare SDK.

    .venv/bin/python bench/orchestration.py [--calls 300] [--entries 300] [--lookups 200]

Prints, all measured in this one run against one loopback server (tests/loopback) on 127.0.0.1:

* exact-cache hit latency p50: `ExactCache.get` alone, and a whole `Gateway.complete` served by
  the exact cache (key hashing + diskcache read + the ledger row);
* semantic-cache lookup p50 over `--entries` cached questions, with the query embedding given
  (what `ask` does: retrieval already embedded the question) and with the embedding computed
  inside (local MiniLM);
* per-call overhead: p50 of `Gateway.complete` (routing, retry loop, ledger row; with and without
  the budget's tiktoken estimate; caches off) minus p50 of the bare SDK call to the same server,
  interleaved call by call so drift on a shared machine hits both alike; for OpenAI and
  Anthropic. Both wall time and the calling thread's CPU time (the loopback server's threads
  excluded): on a loaded machine the CPU figure is the steadier one.

Targets: exact hit p50 < 1 ms; overhead < 2 ms per call. Wall-clock figures on a shared machine
move with its load: the printed CPU load average says how busy it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def build_gateway(home: Path, server, *, cache: bool, budget: bool = False, provider: str = "openai"):
    from ragkit.config import load_config
    from ragkit.orchestrate import build_gateway as build

    route = ({"provider": "openai", "model": "gpt-4o-mini", "base_url": server.openai_base_url} if provider == "openai"
             else {"provider": "anthropic", "model": "claude-haiku-4-5", "base_url": server.anthropic_base_url})
    overrides = {"home": str(home), "llm": {"small": route}, "cache": {"enabled": cache, "semantic": False}}
    if budget:
        overrides["budget"] = {"per_run_usd": 1000.0}
    return build(load_config(overrides=overrides, env={}))


def bench_exact(home: Path, server, n: int) -> dict[str, float]:
    from ragkit.orchestrate.cache_exact import ExactCache
    from ragkit.types import Completion, Message, Usage

    cache = ExactCache(home / "raw-exact")
    cache.set_completion("k" * 64, Completion("Paris.", "gpt-4o-mini", "openai", usage=Usage(900, 20)), 0.0002)
    raw = timed(lambda: cache.get_completion("k" * 64), n)
    cache.close()

    g = build_gateway(home / "gw-exact", server, cache=True)
    msgs = [Message("system", "Answer only from the context. " * 20, cache=True),
            Message("user", "Context: Paris is the capital of France. " * 30, cache=True),
            Message("user", "What is the capital of France?")]
    g.complete(msgs)  # the one real call; every later one is a hit
    through = timed(lambda: g.complete(msgs), n)
    assert server.requests("/chat/completions").__len__() == 1, "exact cache did not serve the repeats"
    g.close()
    return {"raw": p50_ms(raw), "gateway": p50_ms(through)}


QUESTION_TEMPLATES = ["What is the {} of {}?", "How does {} affect {}?", "When was the {} of {} measured?",
                      "Which {} is used by {}?", "Why is the {} of {} important?"]
NOUNS = ["capital", "population", "half-life", "melting point", "GDP", "mass", "dose", "yield", "speed", "cost"]
THINGS = ["France", "Germany", "aspirin", "insulin", "Mars", "copper", "the Nile", "BRCA1", "graphene", "Tokyo",
          "vitamin D", "the Moon", "Peru", "zinc", "ibuprofen", "Jupiter", "Kenya", "lithium", "p53", "Oslo"]


def bench_semantic(home: Path, entries: int, lookups: int) -> dict[str, float]:
    from ragkit.models.embedders.local import LocalEmbedder
    from ragkit.orchestrate.cache_semantic import SemanticCache
    from ragkit.types import Completion

    questions = [t.format(n, th) for t in QUESTION_TEMPLATES for n in NOUNS for th in THINGS][:entries]
    emb = LocalEmbedder()
    t0 = time.perf_counter()
    vecs = emb.embed(questions)
    embed_s = time.perf_counter() - t0
    cache = SemanticCache(home / "sem", emb, threshold=0.92)
    answer = Completion("an answer", "gpt-4o-mini", "openai")
    for i, (q, v) in enumerate(zip(questions, vecs)):
        cache.store(q, answer, evidence_ids=[f"c{i}"], index_version="g1", vector=v)
    probe = [(questions[i], vecs[i], f"c{i}") for i in range(0, len(questions), max(1, len(questions) // 50))]
    k = 0

    def with_vector():
        nonlocal k
        q, v, c = probe[k % len(probe)]
        k += 1
        assert cache.lookup(q, evidence_ids=[c], index_version="g1", vector=v).hit

    def with_embedding():
        nonlocal k
        q, _, c = probe[k % len(probe)]
        k += 1
        assert cache.lookup(q, evidence_ids=[c], index_version="g1").hit

    given = timed(with_vector, lookups)
    embedded = timed(with_embedding, max(20, lookups // 4))
    cache.close()
    return {"given": p50_ms(given), "embedded": p50_ms(embedded), "entries": len(questions),
            "embed_ms_per_question": embed_s / len(questions) * 1000}


def bench_overhead(home: Path, server, n: int) -> dict[str, dict[str, float]]:
    import anthropic
    import openai

    from ragkit.types import Message

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-loopback")
    os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-bench-loopback")
    os.environ.setdefault("RAGKIT_SECURITY__ALLOW_KEY_HOSTS", "127.0.0.1")  # keys may go to the loopback stand-in
    msgs = [Message("system", "Answer only from the context.", cache=True),
            Message("user", "Context: Paris is the capital of France.", cache=True),
            Message("user", "What is the capital of France?")]
    out = {}
    for budget in (False, True):
        g = build_gateway(home / f"gw-o-{budget}", server, cache=False, budget=budget)
        g_anth = build_gateway(home / f"gw-a-{budget}", server, cache=False, budget=budget, provider="anthropic")
        oc = openai.OpenAI(base_url=server.openai_base_url, max_retries=0, timeout=30)
        ac = anthropic.Anthropic(base_url=server.anthropic_base_url, max_retries=0, timeout=30)

        def bare_openai():
            oc.chat.completions.create(model="gpt-4o-mini", max_tokens=512, temperature=0.1,
                                       messages=[{"role": m.role, "content": m.content} for m in msgs])

        def bare_anthropic():
            ac.messages.create(model="claude-haiku-4-5", max_tokens=512, system=[
                {"type": "text", "text": msgs[0].content, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": [
                    {"type": "text", "text": msgs[1].content, "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": msgs[2].content}]}])

        def ragkit_openai():
            g.complete(msgs)

        def ragkit_anthropic():
            g_anth.complete(msgs)

        for fn in (bare_openai, bare_anthropic, ragkit_openai, ragkit_anthropic):  # warm connections, imports
            for _ in range(10):
                fn()
        wall: dict[str, list[float]] = {k: [] for k in ("bo", "ro", "ba", "ra")}
        cpu: dict[str, list[float]] = {k: [] for k in wall}
        for _ in range(n):  # interleaved: load drift hits all four alike
            for key, fn in (("bo", bare_openai), ("ro", ragkit_openai), ("ba", bare_anthropic),
                            ("ra", ragkit_anthropic)):
                c0, t0 = time.thread_time(), time.perf_counter()
                fn()
                wall[key].append(time.perf_counter() - t0)
                cpu[key].append(time.thread_time() - c0)  # this thread only: the server's threads excluded
        label = "with budget check" if budget else "no budget"
        out[label] = {f"{prov}_{who}_{kind}": p50_ms(series[k])
                      for prov, (kb, kr) in (("openai", ("bo", "ro")), ("anthropic", ("ba", "ra")))
                      for who, k in (("bare", kb), ("ragkit", kr))
                      for kind, series in (("wall", wall), ("cpu", cpu))}
        g.close()
        g_anth.close()
        oc.close()
        ac.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300, help="timed calls per overhead series")
    ap.add_argument("--entries", type=int, default=300, help="semantic cache size")
    ap.add_argument("--lookups", type=int, default=200, help="timed semantic lookups")
    ap.add_argument("--hits", type=int, default=500, help="timed exact-cache hits")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch threads for the one-question MiniLM embedding (0: torch's default)")
    args = ap.parse_args()

    from tests.loopback.server import LoopbackServer

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer() as server:
        home = Path(tmp)
        os.environ.setdefault("OPENAI_API_KEY", "sk-bench-loopback")
        os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-bench-loopback")
        os.environ.setdefault("RAGKIT_SECURITY__ALLOW_KEY_HOSTS", "127.0.0.1")  # keys may go to the loopback stand-in
        exact = bench_exact(home, server, args.hits)
        print(f"exact cache hit p50: {exact['raw']:.3f} ms (ExactCache.get), "
              f"{exact['gateway']:.3f} ms (whole Gateway.complete incl. ledger row)  [target < 1 ms]")
        over = bench_overhead(home, server, args.calls)
        for label, o in over.items():
            for prov in ("openai", "anthropic"):
                for kind in ("wall", "cpu"):
                    bare, ours = o[f"{prov}_bare_{kind}"], o[f"{prov}_ragkit_{kind}"]
                    print(f"per-call overhead ({prov}, {label}, {kind:>4}): bare SDK p50 {bare:.3f} ms, ragkit p50 "
                          f"{ours:.3f} ms, overhead {ours - bare:+.3f} ms ({ours / bare:.2f}x)  [target < 2 ms]")
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)  # one short query gains nothing from threads
        sem = bench_semantic(home, args.entries, args.lookups)
        print(f"semantic cache lookup p50 over {sem['entries']} entries: {sem['given']:.3f} ms with the query "
              f"embedding given, {sem['embedded']:.3f} ms embedding the query with MiniLM "
              f"(torch threads {args.torch_threads or 'default'}) "
              f"(batch embedding cost {sem['embed_ms_per_question']:.2f} ms/question)")


if __name__ == "__main__":
    main()
