"""CrossEncoderReranker: the reranker conformance suite (loaded and unloadable), the offline fallback,
the shared SciFact model, and a locally built tiny model.

Model loads happen once per session (session fixtures); combine modes reuse the loaded model
through shallow copies of one reranker.
"""

from __future__ import annotations

import copy
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ragkit.config.data import RerankConfig
from ragkit.errors import ModelLoadError
from ragkit.evals.beir import iter_corpus, load_qrels, load_queries, shared_dir
from ragkit.protocols import Reranker
from ragkit.retrieve.fusion import minmax, rrf
from ragkit.retrieve.rerank import CrossEncoderReranker, combine_scores
from ragkit.testing import RerankerConformance
from ragkit.testing.checks import assert_satisfies
from ragkit.types import Chunk, ScoredChunk

SCIFACT_CE = shared_dir() / "models" / "scifact-minilm-ce"
SCIFACT = shared_dir() / "data" / "scifact"


def _cands(texts: list[str], scores: list[float] | None = None, titles: list[str] | None = None) -> list[ScoredChunk]:
    scores = scores if scores is not None else [1.0 - i / 100 for i in range(len(texts))]
    out = []
    for i, (t, s) in enumerate(zip(texts, scores)):
        chunk = Chunk(
            chunk_id=f"c{i}", source=f"doc{i}", text=t, start=0, end=len(t), index=0, content_hash="h",
            title=titles[i] if titles else None,
        )
        out.append(ScoredChunk(chunk=chunk, score=s, rank=i + 1, scores={"dense": s}))
    return out


def _with(r: CrossEncoderReranker, **attrs) -> CrossEncoderReranker:
    """The same loaded model under other options (a shallow copy shares the weights)."""
    c = copy.copy(r)
    for k, v in attrs.items():
        setattr(c, k, v)
    return c


# ---- missing weights: the explicit offline fallback ------------------------------------------------------
def _missing_model(kind: str, tmp_path: Path) -> str:
    if kind == "hub-id":
        return "ragkit-tests/no-such-cross-encoder"
    if kind == "path":
        return str(tmp_path / "no-such-model")
    (tmp_path / "empty").mkdir()
    return str(tmp_path / "empty")


REASONS = {"hub-id": "not in the Hugging Face cache", "path": "no such directory", "empty-dir": "holds no config.json"}


@pytest.mark.integration
@pytest.mark.timeout(120)  # a hub id must fail at once offline, never hang on network retries
@pytest.mark.parametrize("kind", ["hub-id", "path", "empty-dir"])
def test_missing_weights_fall_back_to_first_stage_with_one_line_and_no_log(kind, tmp_path, caplog):
    model = _missing_model(kind, tmp_path)
    r = CrossEncoderReranker(model)
    assert r.status == "not_loaded"  # the constructor loads nothing
    cands = _cands(["alpha", "beta", "gamma", "delta"], [0.9, 0.8, 0.7, 0.6])
    with caplog.at_level(logging.INFO, logger="ragkit"):
        out1 = r.rerank("query", cands, top_n=3)
        out2 = r.rerank("query", cands, top_n=3)
    assert caplog.records == []  # the retriever says it, in its result's note: not logged as well
    msg = r.last_error
    assert msg and "\n" not in msg
    assert msg.startswith(f"no reranker weights for {model!r} (") and REASONS[kind] in msg
    assert msg.endswith("set rerank.model to a local CrossEncoder directory")
    for out in (out1, out2):
        assert [s.chunk.chunk_id for s in out] == ["c0", "c1", "c2"]
        assert [s.rank for s in out] == [1, 2, 3]
        assert [s.score for s in out] == [0.9, 0.8, 0.7]
        assert all("rerank" not in s.scores and s.scores["first_stage"] == s.score for s in out)
        assert all(s.scores["dense"] == s.score for s in out)  # earlier stages' scores kept
    assert r.available is False and r.status == "unavailable"


@pytest.mark.integration
def test_weights_that_are_there_but_do_not_load_say_so(tmp_path):
    bad = tmp_path / "bad-ce"
    bad.mkdir()
    (bad / "config.json").write_text("{not json", encoding="utf-8")
    r = CrossEncoderReranker(str(bad))
    assert r.available is False
    assert r.last_error.startswith(f"the reranker weights for {str(bad)!r} could not be loaded (")
    assert "\n" not in r.last_error and "rerank.model" in r.last_error


@pytest.mark.integration
@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["hub-id", "path"])
def test_missing_weights_required_raises(kind, tmp_path):
    r = CrossEncoderReranker(_missing_model(kind, tmp_path), required=True)
    for _ in range(2):  # stays an error on every call
        with pytest.raises(ModelLoadError, match=r"rerank\.model") as info:
            r.rerank("query", _cands(["a", "b"]), top_n=1)
    assert "rerank.required is true" in str(info.value)
    assert r.available is False


@pytest.mark.unit
def test_import_is_light_and_constructor_cheap():
    code = (
        "import sys; import ragkit.retrieve.rerank as m; r = m.CrossEncoderReranker('x/y'); "
        "heavy = [n for n in ('torch', 'sentence_transformers', 'transformers') if n in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.unit
def test_from_config_and_argument_checks():
    cfg = RerankConfig(model="/some/dir", batch_size=8, max_length=128, combine="weighted", rrf_k=10,
                       weight=0.3, required=True)
    r = CrossEncoderReranker.from_config(cfg)
    assert (r.model_name, r.batch_size, r.max_length, r.combine, r.rrf_k, r.weight, r.required) == (
        "/some/dir", 8, 128, "weighted", 10, 0.3, True)
    assert_satisfies(r, Reranker)  # statically: isinstance would read `available`, which loads
    assert r.rerank("q", [], top_n=3) == [] and r.status == "not_loaded"  # nothing to do, nothing loaded
    with pytest.raises(ValueError, match="combine"):
        CrossEncoderReranker("m", combine="sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_n"):
        r.rerank("q", _cands(["a"]), top_n=0)


@pytest.mark.unit
def test_combine_scores_hand_computed():
    first = np.array([0.9, 0.8, 0.7])  # first stage ranks: c0, c1, c2
    ce = np.array([0.1, 0.5, 0.9])  # reranker ranks: c2, c1, c0
    final, order = combine_scores(first, ce, "replace")
    assert order == [2, 1, 0] and final.tolist() == ce.tolist()
    # rrf k=60: c0 = 1/61 + 1/63, c1 = 2/62, c2 = 1/63 + 1/61; c0 and c2 tie -> the reranker's order wins
    final, order = combine_scores(first, ce, "rrf", rrf_k=60)
    assert order == [2, 0, 1]
    assert final.tolist() == pytest.approx([1 / 61 + 1 / 63, 2 / 62, 1 / 63 + 1 / 61])
    # weighted .75: minmax(ce) = [0, .5, 1], minmax(first) = [1, .5, 0] -> [.25, .5, .75]
    final, order = combine_scores(first, ce, "weighted", weight=0.75)
    assert order == [2, 1, 0] and final.tolist() == pytest.approx([0.25, 0.5, 0.75])


# ---- a tiny cross-encoder built here (random head: exercises the code path only) ---------------------------
@pytest.mark.integration
class TestTinyCrossEncoder(RerankerConformance):
    """The reranker conformance suite on a loaded model, torch engine."""

    @pytest.fixture(autouse=True)
    def _model(self, tiny_ce_dir):
        self.model_dir = tiny_ce_dir

    def make_reranker(self):
        return CrossEncoderReranker(str(self.model_dir), batch_size=4, engine="torch")


@pytest.mark.integration
class TestTinyCrossEncoderOnnx(RerankerConformance):
    """The same suite on the ONNX engine (exported once into a session folder)."""

    @pytest.fixture(autouse=True)
    def _model(self, tiny_ce_dir, ce_onnx_root):
        self.model_dir, self.root = tiny_ce_dir, ce_onnx_root

    def make_reranker(self):
        return CrossEncoderReranker(str(self.model_dir), batch_size=4, onnx_cache_dir=self.root)


@pytest.mark.integration
class TestMissingCrossEncoder(RerankerConformance):
    """The conformance suite when the weights cannot be loaded: the explicit first-stage fallback."""

    @pytest.fixture(autouse=True)
    def _model(self, tmp_path):
        self.model_dir = tmp_path / "no-such-model"

    def make_reranker(self):
        return CrossEncoderReranker(str(self.model_dir))


@pytest.fixture(scope="session")
def tiny(tiny_ce_dir) -> CrossEncoderReranker:
    r = CrossEncoderReranker(str(tiny_ce_dir), batch_size=4, engine="torch")  # the batching tests hook torch
    assert r.available, r.last_error
    return r


def _record_batches(r: CrossEncoderReranker):
    shapes: list[tuple[int, int]] = []

    def hook(module, args, kwargs, output):
        ids = kwargs["input_ids"] if kwargs.get("input_ids") is not None else args[0]
        shapes.append(tuple(ids.shape))

    # sentence-transformers calls the top model's .forward directly; its encoder goes through __call__
    handle = r.load().model.base_model.register_forward_hook(hook, with_kwargs=True)
    return shapes, handle


LONG = " ".join(f"word{i} protein cell" for i in range(1500))  # ~6000 word pieces, far past 512


@pytest.mark.integration
def test_tiny_batches_and_truncates_to_the_models_window(tiny):
    assert tiny.max_length == 64  # from the saved tokenizer: the model's own window
    texts = [f"passage number {i} about cells" for i in range(9)] + [LONG]
    shapes, handle = _record_batches(tiny)
    try:
        out = tiny.rerank("which protein binds", _cands(texts), top_n=10)
    finally:
        handle.remove()
    assert len(shapes) == 3 and sorted(s[0] for s in shapes) == [2, 4, 4]  # 10 pairs, batch_size 4
    assert max(s[1] for s in shapes) == 64  # the long passage was cut to the window, no error
    assert len(out) == 10 and [s.rank for s in out] == list(range(1, 11))
    assert all(np.isfinite(s.scores["rerank"]) for s in out)


@pytest.mark.integration
def test_tiny_configured_max_length(tiny_ce_dir):
    r = CrossEncoderReranker(str(tiny_ce_dir), max_length=24, batch_size=16, engine="torch")
    shapes, handle = _record_batches(r)
    try:
        r.rerank("q", _cands([LONG, "short text"]), top_n=2)
    finally:
        handle.remove()
    assert r.max_length == 24 and shapes and max(s[1] for s in shapes) == 24


@pytest.mark.integration
def test_tiny_top_n_scores_and_combine_modes(tiny):
    texts = [f"candidate {i} " + "about the immune response " * (i % 4) for i in range(8)]
    cands = _cands(texts, [0.95 - 0.1 * i for i in range(8)])
    ce = tiny.score("immune response", texts).astype(float)
    # the scores in a batch are those of each pair alone (padding does not change them)
    assert tiny.score("immune response", [texts[5]])[0] == pytest.approx(ce[5], abs=1e-4)

    out = _with(tiny, combine="replace").rerank("immune response", cands, top_n=3)
    assert [s.chunk.chunk_id for s in out] == [f"c{i}" for i in np.argsort(-ce, kind="stable")[:3]]
    assert [s.rank for s in out] == [1, 2, 3]
    for s in out:
        i = int(s.chunk.chunk_id[1:])
        assert s.scores["rerank"] == pytest.approx(ce[i], abs=1e-5)
        assert s.scores["first_stage"] == cands[i].score and s.scores["dense"] == cands[i].score
        assert s.score == s.scores["final"]

    fused = rrf([[f"c{i}" for i in np.argsort(-ce, kind="stable")], [c.chunk.chunk_id for c in cands]], k=60)
    out = tiny.rerank("immune response", cands, top_n=5)  # default: rrf
    assert [s.chunk.chunk_id for s in out] == [d for d, _ in fused[:5]]
    assert [s.score for s in out] == pytest.approx([v for _, v in fused[:5]])

    w = 0.3
    mix = w * minmax(ce) + (1 - w) * minmax([c.score for c in cands])
    out = _with(tiny, combine="weighted", weight=w).rerank("immune response", cands, top_n=8)
    assert [s.chunk.chunk_id for s in out] == [f"c{i}" for i in np.argsort(-mix, kind="stable")]
    first_only = _with(tiny, combine="weighted", weight=0.0).rerank("immune response", cands, top_n=8)
    assert [s.chunk.chunk_id for s in first_only] == [c.chunk.chunk_id for c in cands]

    assert len(tiny.rerank("immune response", cands[:2], top_n=5)) == 2  # top_n beyond the candidates


@pytest.mark.integration
@pytest.mark.parametrize("engine", ["torch", "auto"])
def test_close_releases_and_reloads(tiny_ce_dir, ce_onnx_root, engine):
    r = CrossEncoderReranker(str(tiny_ce_dir), engine=engine, onnx_cache_dir=ce_onnx_root)
    assert r.available and r.status == "ready"
    r.close()
    assert r.status == "not_loaded" and r.max_length is None
    assert len(r.rerank("q", _cands(["a", "b"]), top_n=1)) == 1 and r.status == "ready"


# ---- the shared SciFact cross-encoder (a real trained model) -------------------------------------------------
N_QUERIES, N_NEG = 8, 9


@pytest.fixture(scope="session")
def scifact_lists():
    """For the first test queries: 9 random abstracts (seeded) then one relevant abstract, as candidates."""
    if not (SCIFACT / "qrels" / "test.tsv").is_file():
        pytest.skip(f"SciFact data not found under {SCIFACT} (set RAGKIT_SHARED_DIR)")
    qrels = load_qrels(SCIFACT / "qrels" / "test.tsv")
    qids = sorted(qrels, key=int)[:N_QUERIES]
    queries = load_queries(SCIFACT / "queries.jsonl", ids=set(qids))
    corpus = {d: f"{title}\n{text}" for d, title, text in iter_corpus(SCIFACT / "corpus.jsonl")}
    rng = np.random.default_rng(0)
    ids = sorted(corpus)
    lists = []
    for q in qids:
        negs = [ids[i] for i in rng.choice(len(ids), N_NEG + 5, replace=False) if ids[i] not in qrels[q]][:N_NEG]
        docs = negs + [next(iter(qrels[q]))]  # the relevant passage comes last from the "first stage"
        lists.append((queries[q], _cands([corpus[d] for d in docs])))
    return lists


@pytest.fixture(scope="session")
def scifact_ce() -> CrossEncoderReranker:
    if not (SCIFACT_CE / "config.json").is_file():
        pytest.skip(f"shared SciFact cross-encoder not found at {SCIFACT_CE} (set RAGKIT_SHARED_DIR)")
    r = CrossEncoderReranker(str(SCIFACT_CE), max_length=256, required=True)  # trained at 256
    r.load()
    return r


@pytest.fixture(scope="session")
def scifact_fused(scifact_lists, scifact_ce):
    """The default rerank (rrf with the first stage) of each list, every candidate returned."""
    return [scifact_ce.rerank(query, cands, top_n=len(cands)) for query, cands in scifact_lists]


RELEVANT = f"c{N_NEG}"


@pytest.mark.integration
def test_scifact_relevant_passage_scores_above_irrelevant(scifact_fused):
    # pairwise: the relevant abstract against each random one; a random head would be right half the time
    wins, per_query = 0, []
    for out in scifact_fused:
        rel = next(s.scores["rerank"] for s in out if s.chunk.chunk_id == RELEVANT)
        negs = [s.scores["rerank"] for s in out if s.chunk.chunk_id != RELEVANT]
        wins += sum(rel > n for n in negs)
        per_query.append(round(rel, 3))
    accuracy = wins / (N_QUERIES * N_NEG)
    assert accuracy >= 0.85, (accuracy, per_query)


@pytest.mark.integration
def test_scifact_rerank_moves_the_relevant_passage_up(scifact_fused):
    # by the reranker's own scores (what combine="replace" returns): from rank 10 to mostly first
    ranks = [1 + sum(s.scores["rerank"] > _rel(out).scores["rerank"] for s in out) for out in scifact_fused]
    assert sum(1 / r for r in ranks) / len(ranks) >= 0.7, ranks
    # fused with the first stage, which put the relevant passage last: it still moves up...
    fused = [_rel(out).rank for out in scifact_fused]
    assert sum(r <= N_NEG for r in fused) >= N_QUERIES - 2, fused
    # ...but never above where the reranker alone puts it (the first stage can only hold it back)
    assert all(f >= r for f, r in zip(fused, ranks)), (fused, ranks)


def _rel(out: list[ScoredChunk]) -> ScoredChunk:
    return next(s for s in out if s.chunk.chunk_id == RELEVANT)


PRECISION_TEXTS = [
    "Aspirin inhibits platelet aggregation by acetylating cyclooxygenase.",
    "The capital of France is Paris, on the Seine.",
    "Ürün ß 東京 🚀 long text past the window " * 60,
    "a",
]


def test_bf16_cross_encoder_scores_agree_with_float32(tiny_ce_dir):
    query = "what inhibits platelets?"
    fp32 = CrossEncoderReranker(str(tiny_ce_dir), precision="float32", engine="torch").score(query, PRECISION_TEXTS)
    bf16 = CrossEncoderReranker(str(tiny_ce_dir), precision="bfloat16", engine="torch").score(query, PRECISION_TEXTS)
    assert fp32.dtype == bf16.dtype == np.float32 and fp32.shape == bf16.shape == (len(PRECISION_TEXTS),)
    assert np.allclose(fp32, bf16, atol=0.05), (fp32, bf16)
