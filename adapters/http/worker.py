"""The gunicorn worker ``decision-core serve`` runs: slow clients cannot hold it.

A sync worker reads a request on its only thread, so a client sending one byte
a second holds the worker for as long as it likes: three such connections took
a default server down (issue 12). This worker is gunicorn's gevent worker with
two changes:

* every connection is read by a greenlet of its own, so a slow one costs a few
  kilobytes, never the worker; a request is handed to the application only once
  it has arrived whole: its head within ``header_timeout`` seconds (this also
  bounds the wait for the next request on a kept-alive connection), then its body
  within ``body_timeout`` seconds, read into memory (at most ``MAX_CONTENT_LENGTH``
  bytes, the limit the application enforces anyway). A connection past either
  deadline is closed (after a 408 for a late body);
* nothing is monkey-patched: only the server's own sockets are cooperative. The
  application therefore runs exactly as in a sync worker, one request at a time
  per process (a gevent lock around it makes sure) and never switched away from
  in the middle (it has no cooperative I/O left to do: its body is already read),
  so the durable-rules engine's process lock, SQLite, Redis and every other lock
  keep their plain meaning. Outbound calls (Redis, a FHIR server, a JWKS URL)
  still block their worker while they last, as they did in a sync worker.

Memory stays bounded: at most ``worker_connections`` connections per worker, each
holding at most one request head (gunicorn's ``limit_request_*``) and one body.
"""
from __future__ import annotations

import io
import socket

import gevent
import gevent.lock
from gevent import socket as gevent_socket
from gunicorn.workers.ggevent import GeventWorker

REQUEST_TIMEOUT_BODY = (b'{"type":"about:blank","title":"Request Timeout","status":408,'
                        b'"detail":"the request body did not arrive in time"}')
REQUEST_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/problem+json\r\n"
                            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                            % (len(REQUEST_TIMEOUT_BODY), REQUEST_TIMEOUT_BODY))


def one_request_at_a_time(app):
    """``app`` entered by one greenlet at a time: the engine's process lock is re-entrant per
    thread, and every greenlet of a worker is on one thread, so it alone could not keep two
    requests apart if the application ever waited cooperatively in the middle of one."""
    turn = gevent.lock.Semaphore()

    def application(environ, start_response):
        with turn:
            return app(environ, start_response)

    return application


class _Receiving:
    """The time a connection has left to send (part of) its request: a gevent timeout, registered
    with the worker while it runs, so that a stopping worker can end it at once. On expiry the
    ``with`` block is left quietly and ``expired`` tells."""

    def __init__(self, receiving: dict, seconds: float):
        self.receiving = receiving
        self.timeout = gevent.Timeout(seconds)
        self.expired = False

    def __enter__(self):
        self.timeout.start()
        self.receiving[gevent.getcurrent()] = self.timeout
        return self

    def __exit__(self, kind, exc, tb):
        self.timeout.close()
        self.receiving.pop(gevent.getcurrent(), None)
        if exc is self.timeout:
            self.expired = True
            return True
        return False


class DeadlineWorker(GeventWorker):
    """gunicorn's gevent worker, unpatched, with deadlines on the request head and body.

    ``serve`` sets the class attributes on a subclass (:func:`worker_class`): gunicorn
    has no settings of its own for them.
    """

    header_timeout = 10.0
    body_timeout = 30.0
    max_body = 256 * 1024
    # Close each connection after its response (as the sync workers did): a kept-alive connection
    # stays with the worker that accepted it, so with a few busy connections one worker queues
    # requests while another idles (p99 at 8 connections: 43-49 ms kept alive, 19 ms closed;
    # docs/http.md). Kept alive, clients that reuse connections get more throughput.
    keep_alive = False

    def patch(self):
        # Only the listening sockets become gevent sockets (the accepted ones follow): no monkey-patching.
        self.sockets = [gevent_socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach())
                        for s in self.sockets]

    def init_process(self):
        self.receiving: dict = {}  # greenlet -> the timeout of the request it is receiving
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        self.wsgi = one_request_at_a_time(self.wsgi)

    def timeout_ctx(self):
        # gunicorn reads each request head (and, before it, drains the previous body and waits on a
        # kept-alive connection) inside this context; left with no request, it closes the connection.
        return _Receiving(self.receiving, self.header_timeout)

    def notify(self):
        super().notify()
        if not self.alive:
            # Stopping: gunicorn waits (up to graceful_timeout) for every open connection; those still
            # sending a request would hold it to their deadline. End their wait now, as if it had expired.
            for greenlet, timeout in list(self.receiving.items()):
                greenlet.kill(timeout, block=False)

    def handle_request(self, listener_name, req, sock, addr):
        if not self.keep_alive:
            req.must_close = True  # answered with "Connection: close": the next request is accepted afresh
        if req.body is not None and not self._read_body(req, sock):
            if self.alive:  # else the worker is stopping: the connection is simply closed
                self.log.warning("closed a connection whose request body took more than %g s", self.body_timeout)
                try:
                    sock.sendall(REQUEST_TIMEOUT_RESPONSE)
                except OSError:
                    pass
            raise StopIteration()  # gunicorn closes the connection
        return super().handle_request(listener_name, req, sock, addr)

    def _read_body(self, req, sock) -> bool:
        """Read the whole body into the request's buffer; False when it was late.

        A declared length over the limit is not read: the application answers 413 from the
        header alone, and the connection is closed after it (its unread body is not drained).
        A chunked body is read up to one byte past the limit, enough for the 413. A body that
        cannot be read (broken chunk framing, the client gone) is the application's to answer,
        as before: it meets the same error once it has read what did arrive.
        """
        reader = req.body.reader
        declared = getattr(reader, "length", None)
        if declared == 0:
            return True  # no body (a GET): nothing to wait for
        expects_continue, req._expected_100_continue = getattr(req, "_expected_100_continue", False), False
        if declared is not None and declared > self.max_body:
            req.must_close = True  # and no 100 Continue: the 413 is the final answer
            return True
        buffered, error = io.BytesIO(), None
        if expects_continue:  # gunicorn would send it only once the application starts; the client waits for it
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        with _Receiving(self.receiving, self.body_timeout) as deadline:
            try:
                while buffered.tell() <= self.max_body:
                    data = reader.read(self.max_body + 1 - buffered.tell())
                    if not data:
                        break
                    buffered.write(data)
            except Exception as exc:  # noqa: BLE001 - handed on to the application, which answers 400
                error = exc
        if deadline.expired:
            return False
        if buffered.tell() > self.max_body or error is not None:
            req.must_close = True
        req.body.buf = buffered  # gunicorn's Body serves its buffer before asking its reader
        req.body.reader = _ReadBody(error)
        return True


class _ReadBody:
    """A body reader with nothing left: the body is in the buffer. Raises the error reading it met."""

    def __init__(self, error: Exception | None):
        self.error = error

    def read(self, size: int) -> bytes:
        if self.error is not None:
            raise self.error
        return b""


def worker_class(header_timeout: float, body_timeout: float, max_body: int,
                 keep_alive: bool = False) -> type[DeadlineWorker]:
    """A :class:`DeadlineWorker` with these limits (inherited by the forked workers)."""
    return type("DecisionCoreWorker", (DeadlineWorker,), {
        "header_timeout": float(header_timeout), "body_timeout": float(body_timeout), "max_body": int(max_body),
        "keep_alive": bool(keep_alive), "__module__": __name__})
