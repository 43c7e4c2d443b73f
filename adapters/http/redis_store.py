"""The state store shared by several servers: Redis (``REDIS_URL``).

Behind a load balancer each request may land on another machine, so a card's
report link and the JWT ids already seen must live where every instance sees
them. Reports are kept under a random id with Redis expiry (``REPORT_TTL_SECONDS``)
and at most ``REPORT_STORE_SIZE`` of them (oldest dropped first, by an index
trimmed in the same Lua script that stores the report); a JWT id is claimed with
one atomic ``SET NX EX`` that expires with the token.

When Redis cannot be reached every call raises :class:`StoreUnavailable` (the
app answers 503). Every call waits at most ``REDIS_TIMEOUT`` (to connect, and to
read an answer), and a Redis known not to answer is not waited on at all
(:mod:`.store_health`): a hung Redis holds no worker, so nothing queued behind a
call, evaluations included, waits on it. A Redis that refused is simply tried again
by the next call: redis-py reconnects on demand, so service resumes by itself when
Redis is back. Connections are never shared across a fork: redis-py's pool notices
a new process id and starts afresh.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import time
from typing import Any, Callable

from .store_base import StoreUnavailable, new_report_id
from .store_health import StoreHealth


PREFIX = "decision-core:"
TIMEOUT = 0.25  # seconds to connect, and to read each answer (REDIS_TIMEOUT): a hung Redis must not hold a worker
_REPORT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # store.new_report_id: 32 URL-safe characters

# KEYS: the report's key, the index; ARGV: id, body, ttl (ms), most reports kept, key prefix.
# The index is ordered by Redis's own clock in microseconds: one clock for every server, and
# reports stored in the same millisecond still keep their order.
_PUT_REPORT = """
if redis.replicate_commands then pcall(redis.replicate_commands) end  -- Redis < 5: TIME before writes
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #old, 2 do redis.call('DEL', ARGV[5] .. old[i]) end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
"""


def describe_url(url: str) -> str:
    """The URL fit for a log: scheme, host, port and database, never a password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    return f"{parts.scheme}://{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"


class RedisStore:
    def __init__(self, url: str, ttl: float, max_reports: int, clock: Callable[[], float] = time.time,
                 prefix: str = PREFIX, timeout: float = TIMEOUT):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.ttl = ttl
        self.max_reports = max_reports
        self.clock = clock
        self.prefix = prefix
        self.where = describe_url(url)
        self._errors = (redis.RedisError,)
        # One retry, at once, for a pooled connection that died with a restarted Redis (a ConnectionError);
        # never for a timeout, which would wait twice. No idle-connection health check: it is one more wait.
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            health_check_interval=0, client_name="decision-core")
        self._put = self.client.register_script(_PUT_REPORT)
        self.health = StoreHealth(self.client.ping, f"Redis at {self.where}", errors=self._errors,
                                  timeout_errors=(redis.TimeoutError,))

    # ------------------------------------------------------------- the store

    def put_report(self, result: dict[str, Any]) -> str:
        report_id = new_report_id()
        body = json.dumps(result, ensure_ascii=False)
        self._call("storing a report", self._put,
                   keys=[self.prefix + "report:" + report_id, self.prefix + "reports"],
                   args=[report_id, body, int(self.ttl * 1000), self.max_reports, self.prefix + "report:"])
        return report_id

    def get_report(self, report_id: str) -> dict[str, Any] | None:
        if not _REPORT_ID.fullmatch(report_id):  # not one we made (and no odd string sent to Redis as a key)
            return None
        body = self._call("reading a report", self.client.get, self.prefix + "report:" + report_id)
        return None if body is None else json.loads(body)

    def claim_jti(self, issuer: str, jti: str, expires_at: float) -> bool:
        # hashed: the key's length does not depend on what the client put in the token
        digest = hashlib.sha256(json.dumps([issuer, jti]).encode("utf-8", "surrogatepass")).hexdigest()
        seconds = max(1, math.ceil(expires_at - self.clock()))
        return bool(self._call("claiming a JWT id", self.client.set, self.prefix + "jti:" + digest, b"1",
                               nx=True, ex=seconds))

    def unavailable(self) -> str | None:
        """None while Redis answers; otherwise what is wrong (for /healthz, which must not wait on it)."""
        problem = self.health.unavailable()
        return None if problem is None else f"redis at {self.where}: {problem}"

    def check(self) -> str | None:
        """A ping now (start-up): None, or what is wrong."""
        problem = self.health.check()
        return None if problem is None else f"redis at {self.where}: {problem}"

    # ---------------------------------------------------------------- helpers

    def _call(self, doing: str, func, *args, **kwargs):
        if not self.health.may_call():  # known not to answer: no worker waits on it
            raise StoreUnavailable(f"redis at {self.where}: not answering")
        try:
            result = func(*args, **kwargs)
        except self._errors as exc:
            # the error's type only: a message could quote a key (a report id is a credential)
            raise StoreUnavailable(f"redis at {self.where}: {self.health.failed(exc, doing)}") from None
        self.health.succeeded()
        return result
