"""Transport failures are classified by their exception types against real loopback sockets (issue 14
item 3): a connection that was never made is ``NotSent`` (nothing can have been applied), a request whose
answer was lost or cut short is ``LostReply`` (a write's outcome is unknown), a "not now" answer is
``BusyAnswer``. The decision never reads the exception's text."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from connectors.errors import BusyAnswer, LostReply, NotSent, RetriableError
from connectors.http import HttpClient, _never_connected

Behaviour = Callable[[socket.socket], None]


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def _drop(conn: socket.socket) -> None:
    """Read the whole request, then close without a word: the reply is lost after the write arrived."""
    _read_request(conn)


def _half_answer(conn: socket.socket) -> None:
    """Promise 100 bytes, send 10, close: a truncated body."""
    _read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data": {')


def _status(code: int) -> Behaviour:
    def answer(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(f"HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())

    return answer


def _silent(conn: socket.socket) -> None:
    """Read the request and never answer (the client's read timeout fires)."""
    _read_request(conn)
    conn.recv(1)  # blocks until the client gives up and closes


@pytest.fixture
def server() -> Iterator[Callable[[Behaviour], str]]:
    """A one-connection-at-a-time TCP server on loopback that behaves as told."""
    listeners: list[socket.socket] = []

    def start(behaviour: Behaviour) -> str:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listeners.append(listener)

        def serve() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn, contextlib.suppress(OSError):
                    behaviour(conn)

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in listeners:
        listener.close()


def _closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: the connection is refused
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("write", [True, False])
def test_a_refused_connection_was_never_sent(write: bool) -> None:
    with pytest.raises(NotSent) as raised:
        HttpClient(_closed_port(), timeout=2).request("POST", "/permohonan", json={}, write=write)
    assert raised.value.outcome_unknown is False  # nothing can have been applied: a plain retry is safe


@pytest.mark.parametrize(
    ("behaviour", "timeout"),
    [(_drop, 2.0), (_half_answer, 2.0), (_silent, 0.3)],
    ids=["dropped-after-request", "truncated-body", "read-timeout"],
)
@pytest.mark.parametrize("write", [True, False])
def test_a_lost_or_cut_reply_leaves_a_write_unknown(
    server: Callable[[Behaviour], str], behaviour: Behaviour, timeout: float, write: bool
) -> None:
    client = HttpClient(server(behaviour), timeout=timeout)
    with pytest.raises(LostReply) as raised:
        client.request("POST", "/permohonan", json={"nik": "3576010101010001"}, write=write)
    assert raised.value.outcome_unknown is write  # a read's reply lost is simply read again
    assert "3576" not in str(raised.value)  # the request body never reaches the message


@pytest.mark.parametrize(("code", "unknown"), [(503, True), (500, True), (429, False)])
def test_a_busy_answer_is_retriable_and_not_a_lost_reply(
    server: Callable[[Behaviour], str], code: int, unknown: bool
) -> None:
    with pytest.raises(BusyAnswer) as raised:
        HttpClient(server(_status(code)), timeout=2).request("POST", "/permohonan", json={}, write=True)
    assert not isinstance(raised.value, LostReply)  # a busy system needs its backoff, not an instant retry
    assert raised.value.outcome_unknown is unknown  # a 5xx may come after the work was done; a 429 before


def test_classification_reads_types_not_text() -> None:
    """A message that says "refused" does not make a dropped connection "never sent", and a refusal with an
    unusual message is still one (the text the old check read)."""
    dropped = requests.ConnectionError("Connection refused by peer after the request (says the text)")
    assert not _never_connected(dropped)
    refusal = NewConnectionError(None, "something unusual")  # type: ignore[arg-type]
    assert _never_connected(requests.ConnectionError(MaxRetryError(None, "/x", reason=refusal)))  # type: ignore[arg-type]
    assert issubclass(NotSent, RetriableError) and issubclass(LostReply, RetriableError)
