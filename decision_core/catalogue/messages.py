"""marshmallow's nested validation messages, walked once for everyone who reports them
(ruleset problems, intake errors, HTTP problems, the clinic profile), each in its own words."""
from __future__ import annotations

from typing import Any, Iterator, Mapping

Path = tuple  # field names and list indexes, outermost first


def walk(messages: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every message with the path of the field it is about (() for the whole document).

    A ``fields.Dict`` reports an entry's errors under ``key`` and ``value``; they are given at the
    entry's own path, which names it already."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(value, Mapping) and value and set(value) <= {"key", "value"}:
                for part in ("value", "key"):
                    if part in value:
                        yield from walk(value[part], path + (key,))
            else:
                yield from walk(value, path + (key,))
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            yield from walk(message, path)
    else:  # a str subclass is kept as it is: it may carry a problem code (catalogue.fields.CodedMessage)
        yield path, messages if isinstance(messages, str) else str(messages)


def dotted(path: Path) -> str:
    """``facts.0.values``."""
    return ".".join(str(p) for p in path)


def indexed(path: Path) -> str:
    """``sports[0]``: list positions in brackets, as a JSON client writes them."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
