"""What the comparison ran on, what each stack weighs, and how long each framework takes to import.

Installed size of a stack: the files (RECORD entries, byte-code caches excluded) of its root
distributions and everything they require, transitively, as installed here. Requirements behind
an extra are not followed. An editable install (ragkit in development) is measured by its
package's source files. "Exclusive" is the part of a stack that neither other stack needs.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Iterable, Mapping, Sequence

REPORTED_PACKAGES = (
    "ragkit", "llama-index-core", "llama-index-embeddings-huggingface", "llama-index-retrievers-bm25", "bm25s",
    "haystack-ai", "sentence-transformers-haystack", "sentence-transformers", "transformers", "torch",
    "qdrant-edge-py", "numpy", "tiktoken", "PyStemmer", "nltk",
)


def canon(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` line of /proc/cpuinfo's text, or "unknown"."""
    for line in cpuinfo.splitlines():
        if line.lower().startswith("model name") and ":" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def version_of(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    try:
        mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "date": dt.date.today().isoformat(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(cpuinfo),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "packages": {p: version_of(p) for p in REPORTED_PACKAGES},
    }


# ---- installed size --------------------------------------------------------------------------------
def requirement_names(dist: metadata.Distribution) -> list[str]:
    """Names of the distributions `dist` requires unconditionally (no extra) on this interpreter."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for raw in dist.requires or []:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        out.append(canon(req.name))
    return out


def closure(roots: Iterable[str], graph: Mapping[str, Sequence[str]]) -> set[str]:
    """Every name reachable from `roots` in `graph` (name -> required names), roots included; names
    missing from the graph (not installed) are left out."""
    seen: set[str] = set()
    todo = [canon(r) for r in roots]
    while todo:
        n = todo.pop()
        if n in seen or n not in graph:
            continue
        seen.add(n)
        todo.extend(graph[n])
    return seen


def _editable_root(dist: metadata.Distribution) -> Path | None:
    text = dist.read_text("direct_url.json") or ""
    if '"editable": true' not in text.replace("'", '"'):
        return None
    top = (dist.read_text("top_level.txt") or dist.metadata["Name"]).split()[0]
    for entry in sys.path:
        cand = Path(entry or ".") / top
        if (cand / "__init__.py").is_file():
            return cand
    return None


def dist_bytes(dist: metadata.Distribution) -> int:
    root = _editable_root(dist)
    if root is not None:
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    total = 0
    for f in dist.files or []:
        if "__pycache__" in f.parts or f.suffix == ".pyc":
            continue
        p = Path(dist.locate_file(f))
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


def installed_graph() -> tuple[dict[str, list[str]], dict[str, metadata.Distribution]]:
    dists: dict[str, metadata.Distribution] = {}
    for d in metadata.distributions():
        name = d.metadata["Name"]
        if name:
            dists.setdefault(canon(name), d)
    return {n: requirement_names(d) for n, d in dists.items()}, dists


def stack_sizes(stacks: Mapping[str, Sequence[str]], exclude: Sequence[str] = ()) -> dict[str, dict]:
    """{stack: {total_mb, exclusive_mb, distributions, roots}} for each stack of root distributions."""
    graph, dists = installed_graph()
    skip = {canon(e) for e in exclude}
    members = {k: closure(v, graph) - skip for k, v in stacks.items()}
    size = {n: dist_bytes(dists[n]) for ms in members.values() for n in ms}
    out = {}
    for k, ms in members.items():
        others = set().union(*(m for j, m in members.items() if j != k))
        own = ms - others
        out[k] = {
            "roots": list(stacks[k]),
            "distributions": len(ms),
            "total_mb": round(sum(size[n] for n in ms) / 1e6, 1),
            "exclusive_mb": round(sum(size[n] for n in own) / 1e6, 1),
            "exclusive_distributions": sorted(own),
        }
    return out


# ---- import time ---------------------------------------------------------------------------------
def _run_python(code: str, env: Mapping[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(env), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def import_times(modules: Mapping[str, str], repeats: int, env: Mapping[str, str]) -> dict[str, dict]:
    """Median seconds of `import module` in a fresh interpreter, minus the median bare start.

    Byte-code caches are written first for every module (one untimed import with writing on),
    so no framework pays for compiling; then the runs alternate frameworks, rotating the order."""
    prime = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for mod in modules.values():
        _run_python(f"import {mod}", prime)
    keys = list(modules)
    samples: dict[str, list[float]] = {k: [] for k in keys}
    bare: list[float] = []
    for r in range(repeats):
        order = keys[r % len(keys):] + keys[: r % len(keys)]
        bare.append(_run_python("pass", env))
        for k in order:
            samples[k].append(_run_python(f"import {modules[k]}", env))
    base = statistics.median(bare)
    return {
        k: {"module": modules[k], "seconds": round(max(0.0, statistics.median(v) - base), 4),
            "samples_s": [round(x, 4) for x in v], "interpreter_start_s": round(base, 4)}
        for k, v in samples.items()
    }
