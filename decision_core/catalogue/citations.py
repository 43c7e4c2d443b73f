"""Citations: which source a rule or item rests on, and the passage it quotes; a note (an item's
progression or stop rule) with the passages it rests on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    quote: str | None = None


def source_ids(citations: Iterable[Citation]) -> tuple[str, ...]:
    """The cited source ids, each once, in citation order."""
    return tuple(dict.fromkeys(c.source for c in citations))


@dataclass(frozen=True)
class Note:
    """A progression or stop rule of an item: a sentence for the patient and the passages it rests on."""

    text: str
    citations: tuple[Citation, ...] = ()
