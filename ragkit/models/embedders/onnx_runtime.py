"""The ONNX engine of `LocalEmbedder`: ONNX Runtime over the exported transformer, with the
tokenizer, mean pooling and L2 normalisation done here exactly as sentence-transformers does them.

Imports onnxruntime, tokenizers and numpy only (about 0.4 s to import and load MiniLM on 2 cores,
where sentence-transformers takes 7-9 s). Texts are tokenized with the model's tokenizer.json,
truncated at the model's window (sentence_bert_config.json), sorted by length and run in batches
of similar length, each padded to its longest text; padding is masked out of the attention and
the pooling, so a text's vector does not depend on its batch (to float32 rounding).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ragkit.errors import ModelLoadError
from ragkit.models.embedders.model_folder import max_seq_length


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices in batches of similar length: sorted by length, a batch closes at `batch_size`
    texts or when the next text is over a quarter (and 8 pieces) longer than the batch's first,
    so padding stays under about a fifth of the work. A mixed batch (a query's context sentences:
    7 to 225 pieces) then costs about a third of one batch padded to its longest. Pure."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < batch_size:
            first = lengths[batches[-1][0]]
            if lengths[i] <= first + max(8, first // 4):
                batches[-1].append(i)
                continue
        batches.append([i])
    return batches


class OnnxRuntime:
    precision = "float32"

    def __init__(self, model_dir: str | Path, onnx_file: str | Path, *, batch_size: int = 64,
                 threads: int | None = None):
        self.model_dir = Path(model_dir)
        self.onnx_file = Path(onnx_file)
        self.batch_size = max(1, batch_size)
        self.threads = threads
        self.max_len = max_seq_length(self.model_dir) or 512
        self._session = None
        self._inputs: list[str] = []
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                try:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                    tok.no_padding()  # padded here, per length-sorted batch
                    tok.enable_truncation(self.max_len)
                    opts = ort.SessionOptions()
                    opts.log_severity_level = 3
                    if self.threads:
                        opts.intra_op_num_threads = self.threads
                    session = ort.InferenceSession(str(self.onnx_file), opts, providers=["CPUExecutionProvider"])
                except Exception as exc:
                    raise ModelLoadError(f"cannot load the ONNX embedder {self.onnx_file}: {exc}. Export it again: "
                                         "python -m ragkit.models.embedders.onnx_export --force") from None
                self._inputs = [i.name for i in session.get_inputs()]
                self._tokenizer, self._session = tok, session
            return self._session

    def feeds(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The model inputs for `texts` as one batch, padded to its longest (truncated) text."""
        self._load()
        return self._pad(self._tokenizer.encode_batch(list(texts)))

    def _pad(self, encodings) -> dict[str, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return {k: v for k, v in feeds.items() if k in self._inputs}

    @staticmethod
    def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean over the unmasked positions, then L2-normalised rows (float32)."""
        m = mask[..., None].astype(np.float32)
        vecs = (hidden.astype(np.float32) * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        session = self._load()
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        out: np.ndarray | None = None
        for rows in length_batches(lengths, self.batch_size):
            feeds = self._pad([encodings[i] for i in rows])
            hidden = session.run(["last_hidden_state"], feeds)[0]
            vecs = self.pool(hidden, feeds["attention_mask"])
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
        assert out is not None
        return out

    def close(self) -> None:
        with self._lock:
            self._session = None
            self._tokenizer = None
