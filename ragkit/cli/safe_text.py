"""Text from documents, file names and corpus ids, made safe to print on a terminal.

A file named `evil\\x1b[2J\\x1b[31mRED.txt` or a JSONL id holding a newline must not clear the
screen, recolour it, or forge an extra output line. Every control character (C0, DEL, C1, and the
bidirectional overrides that reorder what a line shows) is written as a visible escape; rich markup
in the text (`[red]`) is escaped so it prints literally.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape as _markup_escape

_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"}


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object, *, multiline: bool = False) -> str:
    """`text` with every control character escaped (newlines and tabs kept when `multiline`)."""
    s = str(text)
    out = []
    for ch in s:
        if multiline and ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) == "Cc":
            out.append(_visible(ch))
        else:
            out.append(ch)
    return "".join(out)


def term(text: object, *, multiline: bool = False) -> str:
    """`plain(text)` with rich markup escaped: for `Console.print` with markup on."""
    return _markup_escape(plain(text, multiline=multiline))
