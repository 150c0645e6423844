"""YAML for config files: safe loading, and a key given twice in one mapping is an error.

PyYAML keeps the last of two equal keys without a word, so a file that sets `top_k` twice (or
has two `llm:` sections) runs with whichever came last. Here it is a `ConfigError` naming the
key's path, the file and both lines. `<<` merge keys are not duplicates: a key given beside a
merge overrides the merged one, as YAML intends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ragkit.errors import ConfigError

_MERGE = "tag:yaml.org,2002:merge"


def load_yaml(text: str, source: str) -> Any:
    """The document in `text` (None when empty); `source` names it in errors (a path, a variable)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_unique(node, "", source, set())
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path) -> Any:
    """`load_yaml` of a file's text; ConfigError when it is missing or unreadable."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return load_yaml(text, str(p))


def _check_unique(node: yaml.Node, path: str, source: str, seen_nodes: set[int]) -> None:
    if id(node) in seen_nodes:  # an alias of a node already checked
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _check_unique(child, f"{path}.{i}" if path else str(i), source, seen_nodes)
    elif isinstance(node, yaml.MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                _check_unique(value_node, path, source, seen_nodes)
                continue
            line = key_node.start_mark.line + 1
            ident = (key_node.tag, _key_text(key_node))
            name = ident[1]
            where = f"{path}.{name}" if path else name
            if ident in first:
                raise ConfigError(
                    f"{source}:{line}: duplicate key {name!r} ({where}; first given on line {first[ident]}, "
                    f"again on line {line}): keep one of them")
            first[ident] = line
            _check_unique(value_node, where, source, seen_nodes)


def _key_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return yaml.serialize(node).strip()  # a complex key: compared by its text
