"""Loaders: one small class per file format, and `load_path` to pick one by suffix."""

from ragkit.ingest.loaders.html import HtmlLoader
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader, error_marker, is_error_marker
from ragkit.ingest.loaders.markdown import MarkdownLoader
from ragkit.ingest.loaders.pdf import PdfLoader
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
    "HtmlLoader",
    "MarkdownLoader",
    "PdfLoader",
    "TextLoader",
    "default_loaders",
    "error_marker",
    "is_error_marker",
    "load_path",
    "loader_for",
    "max_bytes_for",
    "source_for",
    "supported_suffixes",
]
