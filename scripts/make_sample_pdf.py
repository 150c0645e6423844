"""Build docs/reference/deployment.pdf: the three-page deployment notes of the sample docs.

The PDF is part of the bundled sample corpus (it exercises the PDF loader's page numbers), so its
text is documentation like the rest of docs/. Run once after editing the text below:

    .venv/bin/python scripts/make_sample_pdf.py

Output is byte-for-byte reproducible (reportlab's invariant mode and a fixed creation date).
Needs reportlab (in the `dev` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "reference" / "deployment.pdf"
CREATED = "D:20261020090000+00'00'"  # PDF date: 2026-10-20 09:00 UTC

# Each page: (heading, [blocks]); a block is ("p", text), ("code", text) or ("li", [items]).
PAGES: list[tuple[str, list[tuple[str, object]]]] = [
    (
        "Scaling out to a Qdrant server",
        [
            ("p", "ragkit stores its index in Qdrant Edge by default: the Qdrant engine embedded in the Python "
                  "process, on disk under .ragkit/index/. When one machine is not enough, for example when "
                  "several application instances must share one index, or the corpus outgrows one host, point "
                  "ragkit at a Qdrant server or cluster. It is one config change: set store.backend to qdrant "
                  "and store.url to the server."),
            ("code", "store:\n  backend: qdrant\n  url: http://qdrant.internal:6333\n"
                     "  api_key_env: QDRANT_API_KEY\n  collection: ragkit\nhome: /var/lib/ragkit"),
            ("p", "The same settings can come from the environment: RAGKIT_STORE__BACKEND=qdrant and "
                  "RAGKIT_STORE__URL=http://qdrant.internal:6333. Port 6333 is Qdrant's HTTP port; 6334 is its "
                  "gRPC port. The server's API key is read from the variable named by store.api_key_env "
                  "(QDRANT_API_KEY by default) and never appears in the config or in logs."),
            ("p", "The collection schema is the same on both backends: a named dense vector, a sparse bm25 "
                  "vector with the IDF modifier, and the same payload with all metadata and the chunk text. "
                  "Hybrid search, fusion and filters run on the server exactly as they do embedded, and one "
                  "conformance test suite runs against both backends."),
            ("p", "A new server collection starts empty, so ingest again after switching. Give the server "
                  "deployment its own home folder (home: /var/lib/ragkit above): the ingest manifest lives "
                  "there, and a fresh manifest makes the first ingest write every document to the server. "
                  "Then run: ragkit ingest docs/"),
            ("p", "Do not use qdrant-client's local mode (url: \":memory:\" or a path) in production. It is only "
                  "a test stand-in for a server: in ragkit's measurements its path mode upserted about 490 "
                  "points per second, and a dense query took about 134 ms at 100,000 points, against 14 to 18 "
                  "ms for an exact dense search in Qdrant Edge."),
        ],
    ),
    (
        "Running on a GPU host",
        [
            ("p", "ragkit needs no GPU: every default is sized for a two-core CPU machine, where the local "
                  "all-MiniLM-L6-v2 embedder encodes about 300 short sentences per second. A GPU host helps "
                  "with two things: embedding large corpora faster, and serving your own LLM."),
            ("p", "To embed on a GPU, install the CUDA build of torch 2.13.0 instead of the CPU build, before "
                  "installing ragkit, then set the embedder's device. Larger batches keep the GPU busy."),
            ("code", "embedder:\n  device: cuda\n  batch_size: 256\ningest:\n  batch_size: 1024"),
            ("p", "Check that torch sees the GPU with: python -c \"import torch; print(torch.cuda.is_available())\". "
                  "The chunk cap does not change on a GPU: chunks still never exceed the embedder's window of "
                  "256 word pieces. An index built on a GPU host can be searched from CPU hosts, because the "
                  "vectors are the same."),
            ("p", "To serve your own LLM, run an OpenAI-compatible server such as vLLM on the GPU host (vLLM "
                  "listens on port 8000 by default) and point an openai route at it with base_url:"),
            ("code", "llm:\n  small:\n    provider: openai\n    model: Qwen/Qwen2.5-7B-Instruct\n"
                     "    base_url: http://gpu-host:8000/v1"),
            ("p", "Add the model to your price override file (ledger.prices) with the cost you want to account "
                  "for it, for example 0; otherwise its cost is recorded as unknown, never as zero."),
        ],
    ),
    (
        "Operational checklist",
        [
            ("p", "Before you put a ragkit application in front of users, go through this list."),
            ("li", [
                "Pin dependencies: install with -c constraints.txt and torch==2.13.0 first.",
                "Keep secrets in environment variables only, and check the result with ragkit config show, "
                "which redacts them.",
                "Set rerank.required: true, so that missing reranker weights fail the deployment instead of "
                "silently degrading results.",
                "Set budget.per_day_usd (and budget.per_run_usd for batch jobs); a call that would exceed a "
                "budget is refused before it is made.",
                "Gate every change with ragkit eval: it exits non-zero when any check fails. Keep the last "
                "JSON report of the main branch and pass it to --compare.",
                "Watch costs with ragkit cost --since, and keep the share of calls with an unknown price at 0.",
                "Schedule ingests (for example from cron) and alert on exit code 1 (some files failed) and 2 "
                "(nothing could be done). Set ingest.lock_timeout_s, for example to 600, so that overlapping "
                "runs wait for each other instead of stopping.",
                "Back up the ledger (.ragkit/ledger.db). The index itself can always be rebuilt with ragkit "
                "ingest.",
                "Track latency against the interactive target of 3 seconds end to end; ragkit eval reports "
                "p50, p95 and p99 per stage.",
            ]),
            ("p", "These notes were last reviewed for ragkit 0.1.0."),
        ],
    ),
]


def build(out: Path = OUT) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, Preformatted, SimpleDocTemplate
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    # Plain "-" bullets in Helvetica: a symbol-font bullet would extract as a stray control character.
    bullet = ParagraphStyle("Bullet", parent=styles["BodyText"], leftIndent=14, bulletIndent=2, bulletFontName="Helvetica")
    story = []
    for i, (heading, blocks) in enumerate(PAGES):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(escape(heading), styles["Heading1"]))
        for kind, body in blocks:
            if kind == "p":
                story.append(Paragraph(escape(str(body)), styles["BodyText"]))
            elif kind == "code":
                story.append(Preformatted(str(body), styles["Code"]))
            elif kind == "li":
                for item in body:  # type: ignore[union-attr]
                    story.append(Paragraph(escape(item), bullet, bulletText="-"))

    def fixed_date(canvas, doc) -> None:
        canvas.setDateFormatter(lambda *parts: CREATED)

    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title="ragkit deployment notes",
        author="ragkit maintainers",
        subject="Scaling out to a Qdrant server, running on a GPU host, operational checklist",
        creator="scripts/make_sample_pdf.py",
        invariant=1,
    )
    doc.build(story, onFirstPage=fixed_date, onLaterPages=fixed_date)
    return out


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(path)
