"""Edge durability: a writer killed with SIGKILL loses nothing it was told was written.

The child process upserts (then deletes) through `EdgeStore` and prints an ACK line after each
call returns; the parent kills it with SIGKILL while it keeps writing, reopens the index and
checks every acknowledged write is there, each batch is whole or absent, and the index still
works (search, more writes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ragkit.index.edge_store import EdgeStore
from ragkit.types import Chunk, SparseVector

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BATCH = 200
DIM = 8

CHILD = textwrap.dedent(f"""
    import sys, uuid
    import numpy as np
    from ragkit.index.edge_store import EdgeStore
    from ragkit.types import Chunk, SparseVector

    path, mode = sys.argv[1], sys.argv[2]
    store = EdgeStore(path)
    store.ensure_collection({DIM}, embedder="test")
    rng = np.random.default_rng(0)
    if mode == "upsert":
        b = 0
        while True:  # until killed
            chunks = [Chunk(str(uuid.uuid5(uuid.NAMESPACE_OID, f"{{b}}-{{i}}")), f"s{{b}}.txt", f"text {{b}} {{i}}",
                            0, 10, i, f"h{{b}}", metadata={{"batch": b}}) for i in range({BATCH})]
            sparse = [SparseVector((b % 1000, 1000 + i), (1.0, 0.5)) for i in range({BATCH})]
            store.upsert(chunks, rng.normal(size=({BATCH}, {DIM})).astype(np.float32), sparse)
            print("ACK", b, flush=True)
            b += 1
    else:  # delete the batches one by one, acknowledging each
        for b in range(int(sys.argv[3])):
            store.delete_where({{"source": f"s{{b}}.txt"}})
            print("ACK", b, flush=True)
        import time
        time.sleep(60)
""")


def _run_until(path: Path, args: list[str], acks: int) -> int:
    """Start the child, SIGKILL it right after its `acks`-th ACK; return the last batch acknowledged."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    last = -1
    try:
        for line in proc.stdout:
            if line.startswith("ACK"):
                last = int(line.split()[1])
                if last + 1 >= acks:
                    break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    assert last + 1 >= acks, f"child stopped early: {err[-2000:]}"
    return last


def test_sigkill_after_upsert_and_delete_loses_nothing_acknowledged(tmp_path):
    path = tmp_path / "edge"
    last = _run_until(path, ["upsert"], acks=8)

    store = EdgeStore(path)
    n = store.count()
    assert n >= (last + 1) * BATCH, "an acknowledged upsert was lost"
    assert n % BATCH == 0, f"a batch was applied in part: {n} points"
    for b in range(last + 1):  # every acknowledged point is there, payload intact
        got = store.chunks_where({"source": f"s{b}.txt"})
        assert len(got) == BATCH and {c.metadata["batch"] for c in got} == {b}
        assert sorted(c.index for c in got) == list(range(BATCH))
    assert store.meta()["dim"] == DIM
    hits = store.search(None, SparseVector((3,), (1.0,)), top_k=5, candidates=20)
    assert len(hits) == 5 and {h.chunk.source for h in hits} == {"s3.txt"}
    # the reopened index takes writes
    extra = Chunk("0d5b7a1e-1111-4222-8333-944455556666", "extra.txt", "x", 0, 1, 0, "hx")
    store.upsert([extra], np.ones((1, DIM), np.float32), [SparseVector((5,), (1.0,))])
    assert store.count() == n + 1
    store.close()

    deleted = _run_until(path, ["delete", str(last + 1)], acks=3)
    store = EdgeStore(path)
    for b in range(deleted + 1):
        assert store.count({"source": f"s{b}.txt"}) == 0, "an acknowledged delete came back"
    assert store.count({"source": f"s{last}.txt"}) in (0, BATCH)
    assert store.count({"source": "extra.txt"}) == 1
    store.close()
