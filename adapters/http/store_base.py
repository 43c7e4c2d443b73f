"""What every state store is (the protocol), the error a shared one raises when it cannot be
reached, and a stored report's id. The stores (``store``: memory and SQLite; ``redis_store``)
import these from here, so that ``store.create_store`` can import the Redis store without a circle."""
from __future__ import annotations

import secrets
from typing import Any, Protocol


class StoreUnavailable(Exception):
    """The shared store cannot be reached (Redis down): the request is answered 503, and the next may succeed."""


class StateStore(Protocol):
    def put_report(self, result: dict[str, Any]) -> str: ...

    def get_report(self, report_id: str) -> dict[str, Any] | None: ...

    def claim_jti(self, issuer: str, jti: str, expires_at: float) -> bool:
        """True the first time (issuer, jti) is seen before it expires; False for a replay."""

    def unavailable(self) -> str | None:
        """None when the store works; otherwise what is wrong, for /healthz."""


def new_report_id() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits: the id is the only key to the report
