"""Citations: which source a rule or item rests on, and the passage it quotes; a note (an item's
progression or stop rule) with the passages it rests on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Citation:
    # the metadata declares its dictionary form (decision_core.result.shape): the quote is left out when empty
    source: str = field(metadata={"description": "A source id (GET /v1/sources)."})
    quote: str | None = field(default=None, metadata={
        "omit": "empty", "description": "The passage of the source the claim rests on, verbatim."})


def source_ids(citations: Iterable[Citation]) -> tuple[str, ...]:
    """The cited source ids, each once, in citation order."""
    return tuple(dict.fromkeys(c.source for c in citations))


@dataclass(frozen=True)
class Note:
    """A progression or stop rule of an item: a sentence for the patient and the passages it rests on."""

    text: str
    citations: tuple[Citation, ...] = ()
