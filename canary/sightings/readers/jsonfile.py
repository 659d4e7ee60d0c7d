"""JSON documents and JSON Lines: every object with plain values becomes one record."""

from __future__ import annotations

import json
from collections.abc import Iterator

from canary.sightings.readers.base import Limits, ReaderError, TextChunk
from canary.sightings.readers.text import detect_encoding


def parse_json(data: bytes, name: str) -> object:
    try:
        return json.loads(data.decode(detect_encoding(data)))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReaderError(f"{name}: not valid JSON ({error})") from error


def read_json(data: bytes, name: str, limits: Limits, document: object = None) -> Iterator[TextChunk]:
    document = parse_json(data, name) if document is None else document
    for path, text in records(document, "$"):
        yield TextChunk(text, f"{name} {path}")


def records(node: object, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, ``key: value`` text) for every object or list that holds plain values."""
    if isinstance(node, dict):
        plain = [
            f"{key}: {_plain(value)}" for key, value in node.items() if not isinstance(value, dict | list)
        ]
        if plain:
            yield path, "\t".join(plain)
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from records(value, f"{path}.{key}")
    elif isinstance(node, list):
        plain = [_plain(value) for value in node if not isinstance(value, dict | list)]
        if plain:
            yield path, "\t".join(plain)
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from records(value, f"{path}[{index}]")
    else:
        yield path, _plain(node)


def _plain(value: object) -> str:
    return " ".join(str(value).split())
