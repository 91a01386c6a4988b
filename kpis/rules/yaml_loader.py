"""A safe YAML loader that remembers on which line every mapping and key stood.

Validation problems point at a path inside the document (``kpis[3].target[0].value``); the line
map turns that path into the line an analyst sees in the editor.
"""

from __future__ import annotations

import yaml


class LineDict(dict):
    """A dict that knows the line of itself (``line``) and of each key (``key_lines``)."""

    line: int = 0
    key_lines: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class LineList(list):
    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"nøglen {key!r} står to gange", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Dates stay strings until pydantic parses them, so a bad date is reported like any other value.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str):
    """Parse YAML; raises ``yaml.YAMLError`` (with ``problem_mark``) on a syntax error."""
    return yaml.load(text, Loader=_Loader)


def line_of(doc, path: tuple) -> int | None:
    """The line of the deepest node of ``path`` that exists in ``doc``."""
    node = doc
    line = getattr(doc, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
        if getattr(node, "line", None) and not isinstance(node, (LineDict, LineList)):
            line = node.line
    return line
