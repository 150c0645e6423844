"""Loaders: one small class per file format, and `load_path` to pick one by suffix."""

from ragkit.ingest.loaders.docx import DocxLoader
from ragkit.ingest.loaders.email import EmlLoader, MsgLoader
from ragkit.ingest.loaders.epub import EpubLoader
from ragkit.ingest.loaders.html import HtmlLoader
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader, error_marker, is_error_marker
from ragkit.ingest.loaders.markdown import MarkdownLoader
from ragkit.ingest.loaders.pdf import PdfLoader
from ragkit.ingest.loaders.pptx import PptxLoader
from ragkit.ingest.loaders.sheets import CsvLoader, XlsxLoader
from ragkit.ingest.loaders.registry import (
    default_loaders,
    load_path,
    loader_for,
    max_bytes_for,
    source_for,
    supported_suffixes,
)
from ragkit.ingest.loaders.text import TextLoader

__all__ = [
    "BeirJsonlLoader",
    "CsvLoader",
    "DocxLoader",
    "EmlLoader",
    "EpubLoader",
    "HtmlLoader",
    "MarkdownLoader",
    "MsgLoader",
    "PdfLoader",
    "PptxLoader",
    "TextLoader",
    "XlsxLoader",
    "default_loaders",
    "error_marker",
    "is_error_marker",
    "load_path",
    "loader_for",
    "max_bytes_for",
    "source_for",
    "supported_suffixes",
]
