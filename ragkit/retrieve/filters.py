"""Moved to `ragkit.filters`. Kept for the two modules that still import it from here
(ragkit/retrieve/filter_args.py, ragkit/evals/runner.py); delete it once they import ragkit.filters."""

from ragkit.filters import DATETIME_FIELDS, GLOB_CHARS, INT_FIELDS, STR_FIELDS, matches, parse_filter

__all__ = ["DATETIME_FIELDS", "GLOB_CHARS", "INT_FIELDS", "STR_FIELDS", "matches", "parse_filter"]
