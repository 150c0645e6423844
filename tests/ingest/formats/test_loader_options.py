"""ingest.loaders: the loaders' options as config keys. Each key changes the text of files the
tests write; bad values are config errors naming the key; a change of a text-altering option makes
the next incremental ingest re-read the files it applies to (messages with such attachments too),
and only those; every key is in the configuration reference."""

from __future__ import annotations

import inspect
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from ragkit.config.data import IngestConfig, LoaderOptions
from ragkit.config.loader import load_config
from ragkit.errors import ConfigError, LoaderError
from ragkit.ingest.loaders import load_path
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader
from ragkit.ingest.loaders.pdf import PdfLoader
from ragkit.ingest.loaders.pptx import PptxLoader
from ragkit.ingest.loaders.registry import default_loaders
from ragkit.ingest.loaders.sheets import CsvLoader, XlsxLoader

pytestmark = pytest.mark.unit
pptx = pytest.importorskip("pptx")
REPO = Path(__file__).resolve().parents[3]


def load(path: Path, **options):
    loaders = default_loaders(options=LoaderOptions(**options))
    return list(load_path(path, path.parent, 1 << 24, loaders=loaders))


def make_deck(path: Path) -> Path:
    deck = pptx.Presentation()
    for n in range(2):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Pump check {n + 1}"
        slide.placeholders[1].text_frame.text = f"Inspect seal {n + 1}."
        slide.notes_slide.notes_text_frame.text = f"Say the seal {n + 1} costs 40 euros."
    deck.save(path)
    return path


def make_mail(path: Path, deck: Path) -> Path:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "Deck for Monday", "ann@example.com", "bob@example.com"
    m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    m.set_content("The slides are attached.")
    m.add_attachment(deck.read_bytes(), maintype="application", subtype="octet-stream", filename="deck.pptx")
    path.write_bytes(bytes(m))
    return path


def test_the_config_defaults_are_the_loaders_defaults():
    def default(cls, name):
        return inspect.signature(cls.__init__).parameters[name].default

    o = LoaderOptions()
    assert o.pptx_notes is default(PptxLoader, "notes")
    assert o.sheet_max_cells == default(XlsxLoader, "max_cells") == default(CsvLoader, "max_cells")
    assert o.sheet_group_chars == default(XlsxLoader, "group_chars") == default(CsvLoader, "group_chars")
    assert (o.pdf_tables, o.pdf_ocr, o.ocr_lang) == (default(PdfLoader, "tables"), default(PdfLoader, "ocr"),
                                                     default(PdfLoader, "ocr_lang"))
    assert o.jsonl_title_in_text is default(BeirJsonlLoader, "title_in_text")
    # with the defaults no loader carries a fingerprint: existing indexes keep their content hashes
    assert all(not getattr(lo, "fingerprint", "") for lo in default_loaders(options=o))


def test_pptx_notes_key_adds_the_notes_also_to_attachments(tmp_path):
    deck = make_deck(tmp_path / "deck.pptx")
    [plain] = load(deck)
    [noted] = load(deck, pptx_notes=True)
    assert "costs 40 euros" not in plain.text
    assert "Notes: Say the seal 2 costs 40 euros." in noted.text
    assert noted.page_at(noted.text.index("seal 2 costs")) == 2 and noted.content_hash != plain.content_hash
    mail = make_mail(tmp_path / "m.eml", deck)
    assert "costs 40 euros" not in load(mail)[1].text
    msg, att = load(mail, pptx_notes=True)
    assert att.source == "m.eml#deck.pptx" and "Say the seal 1 costs 40 euros." in att.text
    assert msg.content_hash != load(mail)[0].content_hash  # the message counts as changed: its attachment is


def test_sheet_group_chars_and_max_cells(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("item,litres\n" + "".join(f"part {i},{i * 7}\n" for i in range(30)), encoding="utf-8")
    [default] = load(csv)
    [small] = load(csv, sheet_group_chars=60)
    assert default.text.count("| item | litres |") == 2  # 30 rows: two groups of about 450 characters
    assert small.text.count("| item | litres |") > 10
    assert all(len(block) <= 60 or block.count("\n") == 1 for block in small.text.split("\n\n"))
    with pytest.raises(LoaderError, match="over the limit of 50 cells"):
        load(csv, sheet_max_cells=50)


def test_jsonl_title_in_text(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"_id": "d1", "title": "Seals", "text": "Replace them yearly."}) + "\n", encoding="utf-8")
    [with_title] = load(corpus)
    [body] = load(corpus, jsonl_title_in_text=False)
    assert with_title.text == "Seals\n\nReplace them yearly." and body.text == "Replace them yearly."
    assert body.title == "Seals" and body.content_hash != with_title.content_hash


def test_pdf_tables_and_ocr_keys(tmp_path):
    pytest.importorskip("pdfplumber")
    from ragkit.testing.scans import make_scan_pdf
    from ragkit.testing.table_pdfs import make_table_pdf

    rows = [["Port", "Use"], ["6333", "HTTP"], ["6334", "gRPC"]]
    path = make_table_pdf(tmp_path / "t.pdf", [rows], prose="Qdrant listens on two ports.")
    assert "| Port | Use |" in load(path)[0].text
    plain = load(path, pdf_tables=False)[0].text
    assert "| Port" not in plain and "6333" in plain
    scan = make_scan_pdf(tmp_path / "scan.pdf", ["Back up the index folder every night."])
    with pytest.raises(LoaderError, match=r"OCR is turned off \(config key ingest.loaders.pdf_ocr: false\)"):
        load(scan, pdf_ocr=False)
    assert PdfLoader(ocr_lang="eng+deu").fingerprint == "ocr_lang=eng+deu"
    assert PdfLoader(ocr_lang="deu", ocr=False).fingerprint == "pdf_ocr=false"  # the language is moot then


@pytest.mark.parametrize("key,value,says", [
    ("pptx_notes", "sometimes", "ingest.loaders.pptx_notes: Input should be a valid boolean"),
    ("sheet_group_chars", 0, "ingest.loaders.sheet_group_chars: Input should be greater than or equal to 1"),
    ("sheet_max_cells", -5, "ingest.loaders.sheet_max_cells: Input should be greater than or equal to 1"),
    ("ocr_lang", "eng; rm -rf", "ingest.loaders.ocr_lang: Value error, must be Tesseract language codes"),
    ("pdf_tabels", True, "ingest.loaders.pdf_tabels: unknown key"),
])
def test_bad_values_are_config_errors_naming_the_key(key, value, says):
    with pytest.raises(ConfigError) as err:
        load_config(overrides={"ingest": {"loaders": {key: value}}})
    assert says in str(err.value)


def test_keys_come_from_the_environment_too():
    cfg = load_config(env={"RAGKIT_INGEST__LOADERS__PPTX_NOTES": "true", "RAGKIT_INGEST__LOADERS__OCR_LANG": "eng+deu"})
    assert cfg.ingest.loaders.pptx_notes is True and cfg.ingest.loaders.ocr_lang == "eng+deu"


def test_every_ingest_key_is_in_the_configuration_reference():
    text = (REPO / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")

    def table_keys(heading: str) -> set[str]:
        section = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#)", text, re.S | re.M)
        assert section, f"no '{heading}' section in docs/reference/configuration.md"
        return set(re.findall(r"^\| `([a-z0-9_]+)` \|", section.group(1), re.M))

    assert set(IngestConfig.model_fields) <= table_keys("ingest")
    assert set(LoaderOptions.model_fields) == table_keys("ingest.loaders")
    for name, field in LoaderOptions.model_fields.items():  # the documented default is the real one
        default = json.dumps(field.default) if not isinstance(field.default, str) else field.default
        assert re.search(rf"^\| `{name}` \| `{re.escape(default)}` \|", text, re.M), name


@pytest.mark.integration
def test_an_option_change_reingests_the_files_it_alters_and_only_those(tmp_path, embedder_warm):
    from ragkit.rag import RAG

    root = tmp_path / "docs"
    root.mkdir()
    make_mail(root / "m.eml", make_deck(root / "deck.pptx"))
    (root / "t.csv").write_text("item,litres\nseal,2\n", encoding="utf-8")
    (root / "n.txt").write_text("Plain notes about pumps.", encoding="utf-8")
    home = str(tmp_path / "home")

    def ingest(**options):
        with RAG({"home": home, "rerank": {"enabled": False}, "ingest": {"loaders": options}}) as rag:
            report = rag.ingest(root)
            texts = {c.source: c.text for c in sorted(rag.store.chunks_where(None), key=lambda c: (c.source, c.index))
                     if c.index == 0}
            return report, texts, rag.store.count()

    first, texts, n = ingest()
    assert (first.added, first.failed) == (5, 0) and "costs 40" not in texts["deck.pptx"]
    again, _, _ = ingest()
    assert (again.unchanged, again.updated, again.added) == (4, 0, 0)
    noted, texts, n_noted = ingest(pptx_notes=True)
    # the deck, the message and its deck attachment are re-read; the CSV and the text file are not
    assert (noted.updated, noted.unchanged, noted.added, noted.removed) == (3, 2, 0, 0)
    assert "Notes: Say the seal 1 costs 40 euros." in texts["deck.pptx"] + texts["m.eml#deck.pptx"]
    with RAG({"home": home, "rerank": {"enabled": False}}) as rag:
        att = [c.text for c in rag.store.chunks_where({"source": "m.eml#deck.pptx"})]
    assert any("costs 40 euros" in t for t in att)
    steady, _, n_steady = ingest(pptx_notes=True)
    assert (steady.unchanged, steady.updated) == (4, 0) and n_steady == n_noted
    grouped, _, _ = ingest(pptx_notes=True, sheet_group_chars=30)
    assert (grouped.updated, grouped.unchanged) == (2, 3)  # the CSV and the message (a sheet option of attachments)
    back, texts, n_back = ingest()
    assert back.updated == 4 and "costs 40" not in texts["deck.pptx"] and n_back == n
