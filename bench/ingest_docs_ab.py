"""`ragkit ingest docs/` before and after the office-formats work (issue 18), A/B, interleaved.

    .venv/bin/python bench/ingest_docs_ab.py [--old REV] [--new REV] [--repeats 3]

"old" is the commit before the formats loaders (the parent of f7cc492), "new" is HEAD (committed
code only: both are checked out as git worktrees under /tmp, so uncommitted edits in the working
tree do not count). Each run is a new process, `python -m ragkit.cli ingest <docs> --json`, into a
fresh temporary home (RAGKIT_HOME), with HF_HUB_OFFLINE=1 and TOKENIZERS_PARALLELISM=false and
PYTHONPATH set to the worktree (checked: `ragkit.__file__` lies in it). Cases, run round-robin
(each case once per round, each round starting one case later, `--repeats` rounds after one
unrecorded warm-up round) so that
machine-load drift falls on all of them alike:

- old: old code on old docs/;
- new: new code on new docs/ (the bundled corpus as shipped, docs/formats/ included);
- new, old docs: new code on the old commit's docs/ tree: the same files as "old", so any
  difference is the code's;
- new, no formats: new code on new docs/ without docs/formats/ (ingest.exclude).

Writes bench/results/ingest-docs-ab-<date>.json (walls and the report's own seconds, medians,
CPU seconds (user + system, os.wait4) of each run, documents and chunks per case, one in-process stage breakdown per case (RAG.last_stage_seconds),
CPU model and flags, load average before and after).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS_COMMIT = "f7cc492"
DEFAULT_EXCLUDE = ["**/.git/**", "**/.ragkit/**", "**/node_modules/**"]


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def cpu_line() -> tuple[str, list[str]]:
    name = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
            if line.startswith(("flags", "Features")):
                flags = line.split(":", 1)[1].split()
                break  # the first CPU's lines: model name comes before flags
    except OSError:
        pass
    keep = sorted(f for f in flags if f in ("avx", "avx2", "fma", "sse4_2") or f.startswith(("avx512", "amx")) or "bf16" in f)
    return f"{name} ({os.cpu_count()} logical CPUs, {platform.machine()})", keep


def worktree(sha: str, where: Path) -> Path:
    if where.exists() and (where / ".git").exists():
        if git("-C", str(where), "rev-parse", "HEAD") == sha:
            return where
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=REPO, check=True)
    subprocess.run(["git", "worktree", "add", "-f", "--detach", str(where), sha], cwd=REPO, check=True,
                   capture_output=True)
    venv = where / ".venv"
    if not venv.exists():
        venv.symlink_to(REPO / ".venv", target_is_directory=True)
    return where


def env_for(code: Path, extra: dict[str, str], home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_") and k != "PYTHONPATH"}
    env.update({"PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "RAGKIT_HOME": str(home), **extra})
    return env


def check_import(code: Path) -> str:
    out = subprocess.run([sys.executable, "-c", "import ragkit; print(ragkit.__file__)"], cwd=code,
                         env=env_for(code, {}, code / ".unused"), capture_output=True, text=True, check=True)
    where = out.stdout.strip()
    if not Path(where).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"ragkit imported from {where}, not from {code}")
    return where


def ingest_once(code: Path, docs: Path, extra: dict[str, str], tmp: Path) -> dict:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    try:
        t = time.perf_counter()
        with tempfile.TemporaryFile(dir=tmp) as out, tempfile.TemporaryFile(dir=tmp) as err:
            proc = subprocess.Popen([sys.executable, "-m", "ragkit.cli", "ingest", str(docs), "--json"], cwd=code,
                                    env=env_for(code, extra, home), stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)  # the child's own CPU time: less swayed by other load
            wall = time.perf_counter() - t
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0), err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ingest with {code} on {docs} failed ({proc.returncode}):\n{stderr[-3000:]}")
    rep = json.loads(stdout)
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "report_s": round(rep["seconds"], 2), "added": rep["added"], "failed": rep["failed"],
            "chunks": rep["chunks_added"]}


STAGES = """
import json, sys, time
t = time.perf_counter()
from ragkit.rag import RAG
with RAG() as rag:
    rep = rag.ingest([sys.argv[1]])
    print(json.dumps({**{k: round(v, 2) for k, v in rag.last_stage_seconds.items()},
                      "total": round(time.perf_counter() - t, 2)}))
"""


def stages_once(code: Path, docs: Path, extra: dict[str, str], tmp: Path) -> dict:
    """Where one in-process ingest of the case spends its time (RAG.last_stage_seconds)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    try:
        out = subprocess.run([sys.executable, "-c", STAGES, str(docs)], cwd=code, env=env_for(code, extra, home),
                             capture_output=True, text=True, timeout=900, check=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", default=None, help=f"default: the parent of {FORMATS_COMMIT}")
    ap.add_argument("--new", default="HEAD")
    ap.add_argument("--repeats", type=int, default=3, help="recorded rounds (after one warm-up round)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-stages", action="store_true", help="skip the one in-process stage breakdown per case")
    args = ap.parse_args()
    old = git("rev-parse", args.old or f"{FORMATS_COMMIT}^")
    new = git("rev-parse", args.new)
    old_tree = worktree(old, Path(tempfile.gettempdir()) / "wt18old")
    new_tree = worktree(new, Path(tempfile.gettempdir()) / "wt18new")
    imports = {"old": check_import(old_tree), "new": check_import(new_tree)}
    no_formats = {"RAGKIT_INGEST__EXCLUDE": json.dumps(DEFAULT_EXCLUDE + ["formats/**"])}
    cases = {
        "old": (old_tree, old_tree / "docs", {}),
        "new": (new_tree, new_tree / "docs", {}),
        "new, old docs": (new_tree, old_tree / "docs", {}),
        "new, no formats": (new_tree, new_tree / "docs", no_formats),
    }
    cpu, flags = cpu_line()
    print(f"CPU: {cpu}\nflags: {' '.join(flags)}\nold {old[:10]} ({imports['old']})\nnew {new[:10]} ({imports['new']})")
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    tmp = Path(tempfile.mkdtemp(prefix="ragkit-ingest-ab-"))
    try:
        for round_no in range(args.repeats + 1):
            names = list(cases)
            shift = round_no % len(names)  # each round starts with another case: no case always runs last
            for name in names[shift:] + names[:shift]:
                code, docs, extra = cases[name]
                r = ingest_once(code, docs, extra, tmp)
                label = "warm-up" if round_no == 0 else f"round {round_no}"
                print(f"{label:>8}  {name:<16} wall {r['wall_s']:6.2f} s  cpu {r['cpu_s']:6.2f} s  "
                      f"report {r['report_s']:6.2f} s  "
                      f"{r['added']} docs, {r['chunks']} chunks, {r['failed']} failed", flush=True)
                if round_no:
                    runs[name].append(r)
        stages = {} if args.no_stages else {name: stages_once(*case, tmp) for name, case in cases.items()}
        for name, st in stages.items():
            print(f"stages   {name:<16} " + "  ".join(f"{k} {v:.2f}" for k, v in st.items()), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for name, rs in runs.items():
        summary[name] = {"median_wall_s": round(statistics.median(r["wall_s"] for r in rs), 2),
                         "median_cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 2),
                         "median_report_s": round(statistics.median(r["report_s"] for r in rs), 2),
                         "min_wall_s": min(r["wall_s"] for r in rs), "documents": rs[0]["added"],
                         "chunks": rs[0]["chunks"], "failed": rs[0]["failed"]}
    base, base_cpu = summary["old"]["median_wall_s"], summary["old"]["median_cpu_s"]
    print(f"\n{'case':<18}{'median wall':>12}{'vs old':>8}{'median cpu':>12}{'vs old':>8}{'median report':>15}"
          f"{'docs':>6}{'chunks':>8}")
    for name, s in summary.items():
        print(f"{name:<18}{s['median_wall_s']:>11.2f}s{s['median_wall_s'] / base:>8.3f}{s['median_cpu_s']:>11.2f}s"
              f"{s['median_cpu_s'] / base_cpu:>8.3f}{s['median_report_s']:>14.2f}s{s['documents']:>6}{s['chunks']:>8}")
    today = dt.date.today().isoformat()
    out = args.out or REPO / "bench" / "results" / f"ingest-docs-ab-{today}.json"
    out.write_text(json.dumps({
        "what": "python -m ragkit.cli ingest docs/ --json into a fresh home, new process per run, interleaved rounds",
        "date": today, "cpu": cpu, "flags": flags, "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "old_commit": old, "new_commit": new, "repeats": args.repeats, "summary": summary, "runs": runs,
        "stages_s (one in-process run per case)": stages,
        "notes": "wall_s: the process (start, model load, ingest); cpu_s: its user + system CPU time (all threads; "
                 "less swayed by other processes on the machine than wall); report_s: IngestReport.seconds (the pipeline "
                 "alone). 'new, old docs': new code on the old commit's docs/ tree (the same files as 'old'); "
                 "'new, no formats': new code on new docs/ with docs/formats/ excluded.",
    }, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
