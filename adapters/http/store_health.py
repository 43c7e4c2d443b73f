"""What is known of a shared store's health (Redis), learnt without ever waiting on it for long.

A store that dies refuses connections at once; one that hangs (a frozen process, a
partitioned network) accepts them and never answers, so each call waits its whole read
timeout. Requests are served one at a time per worker, so a request waiting on the store
holds every request queued behind it, evaluations included. Hence:

* ``/healthz`` (:meth:`StoreHealth.unavailable`) pings in a background thread and waits for
  the answer at most ``wait`` seconds (a store that answers or refuses does so in about a
  millisecond), else tells what is known; the ping's own timeout then tells a hung store;
* a store known not to answer (its last call timed out) fails the calls that need it at once
  (:meth:`StoreHealth.may_call` is False: the app answers 503), while a background ping, at most
  one at a time and one per ``interval``, finds out when it answers again;
* every transition is logged once: one error when the store is lost, one line when it is back.

The same rule would serve any other store an evaluation must never wait on.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Callable

log = logging.getLogger("decision_core.adapters.http")

UP, REFUSED, SILENT = "up", "refused", "silent"  # silent: it accepted and did not answer in time
PROBE_INTERVAL = 1.0  # seconds between pings while the store is silent
PROBE_WAIT = 0.025  # seconds /healthz waits for a ping's answer (a store that answers: ~1 ms)


class StoreHealth:
    def __init__(self, ping: Callable[[], object], where: str, *, timeout_errors: tuple[type[BaseException], ...],
                 errors: tuple[type[BaseException], ...], interval: float = PROBE_INTERVAL, wait: float = PROBE_WAIT,
                 clock: Callable[[], float] = time.monotonic):
        self._ping = ping
        self.where = where
        self._timeout_errors = timeout_errors
        self._errors = errors
        self.interval = interval
        self.wait = wait
        self._clock = clock
        self._lock = threading.Lock()
        self._state, self._reason = UP, ""
        self._probe: tuple[int, threading.Event, float] | None = None  # (pid, done, started) of the ping under way
        _instances.add(self)

    def _after_fork(self) -> None:
        # a lock held by a thread of the parent would stay held for good in the child, where no thread runs
        self._lock = threading.Lock()
        self._probe = None

    # ------------------------------------------------------------- what calls report

    def succeeded(self) -> None:
        self._learn(UP, "")

    def failed(self, exc: BaseException, doing: str) -> str:
        """Record a failed call (its error's type only: a message could quote a key); return the reason."""
        reason = f"{type(exc).__name__} while {doing}"
        self._learn(SILENT if isinstance(exc, self._timeout_errors) else REFUSED, reason)
        return reason

    def may_call(self) -> bool:
        """False while the store is known not to answer: the caller fails at once instead of waiting its
        timeout. A background ping is started when one is due."""
        with self._lock:
            if self._state != SILENT:
                return True
        self._start_probe()
        return False

    # ------------------------------------------------------------------ /healthz

    def unavailable(self) -> str | None:
        """None while the store answers, else why not; never waits on a store that may hang. It pings (in
        a background thread) and waits for the answer at most ``wait`` seconds: a store that answers or
        refuses does so in about a millisecond. A ping already under way is not waited on again, and a
        store known to be silent is only pinged once per ``interval``, in the background: what is known
        is told."""
        with self._lock:
            state = self._state
        done, started = self._start_probe()
        if state != SILENT and started:
            done.wait(self.wait)
        with self._lock:
            return None if self._state == UP else self._reason

    def check(self) -> str | None:
        """A ping on the caller's thread (start-up, before any request): None, or why it failed."""
        try:
            self._ping()
        except self._errors as exc:
            return self.failed(exc, "checking health")
        self.succeeded()
        return None

    # ------------------------------------------------------------------ helpers

    def _start_probe(self) -> tuple[threading.Event | None, bool]:
        """The ping under way, or one started now when it is due (and whether it was started now)."""
        with self._lock:
            probe = self._probe
            if probe is not None and not probe[1].is_set():
                return probe[1], False  # one at a time: a silent store holds one thread, not one per request
            if self._state == SILENT and probe is not None and self._clock() - probe[2] < self.interval:
                return None, False
            done = threading.Event()
            self._probe = (os.getpid(), done, self._clock())
        threading.Thread(target=self._run_probe, args=(done,), name="store health ping", daemon=True).start()
        return done, True

    def _run_probe(self, done: threading.Event) -> None:
        try:
            self.check()
        finally:
            done.set()

    def _learn(self, state: str, reason: str) -> None:
        with self._lock:
            before = self._state
            self._state, self._reason = state, reason or self._reason
        if before == UP and state != UP:
            log.error("%s cannot be reached (%s): answering 503 until it is back", self.where, reason)
        elif before != UP and state == UP:
            log.warning("%s answers again", self.where)


_instances: "weakref.WeakSet[StoreHealth]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for health in list(_instances):
        health._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
