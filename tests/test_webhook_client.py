"""The emulator's own webhook client: its lean POST path speaks HTTP/1.1 correctly over a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from emulator.webhooks.transport import LeanClient

Answer = Callable[[bytes], bytes]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def server(answers: list[bytes], *, close_after: int = 0) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A raw HTTP server on a free port: answers in turn (the last one repeats); closes after N if asked."""
    requests: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        served = 0
        try:
            while not close_after or served < close_after:
                head = await reader.readuntil(b"\r\n\r\n")
                fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
                requests.append(head + await reader.readexactly(int(fields[b"content-length"])))
                writer.write(answers[min(len(requests), len(answers)) - 1])
                await writer.drain()
                served += 1
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        try:
            yield f"http://127.0.0.1:{port}/hook?x=1", requests
        finally:
            for writer in writers:
                writer.close()
            await asyncio.sleep(0.01)


async def post(client: LeanClient, url: str, body: bytes = b'{"a":1}') -> httpx.Response:
    return await client.post(url, content=body, headers={"content-type": "application/json"}, timeout=5.0)


@pytest.mark.anyio
async def test_posts_the_exact_bytes_with_host_length_and_headers_and_reuses_the_connection() -> None:
    async with server([OK]) as (url, requests), LeanClient() as client:
        first, second = await post(client, url), await post(client, url, b"{}")
        assert (first.status_code, first.text, second.status_code) == (200, "ok", 200)
        head, _, body = requests[0].partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /hook?x=1 HTTP/1.1" and body == b'{"a":1}'
        assert {b"content-type: application/json", b"content-length: 7"} <= set(lines)
        assert any(line.startswith(b"host: 127.0.0.1:") for line in lines)
        assert len(client._idle[next(iter(client._idle))]) == 1  # one connection, kept for the next POST


@pytest.mark.anyio
async def test_reads_chunked_bodies_and_answers_without_a_body() -> None:
    chunked = b"HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    no_body = b"HTTP/1.1 204 No Content\r\n\r\n"
    async with server([chunked, no_body, OK]) as (url, _), LeanClient() as client:
        answer = await post(client, url)
        assert (answer.status_code, answer.text) == (500, "abcde")
        assert (await post(client, url)).status_code == 204
        assert (await post(client, url)).text == "ok"


@pytest.mark.anyio
async def test_a_kept_connection_the_server_closed_is_replaced_once() -> None:
    async with server([OK], close_after=1) as (url, requests), LeanClient() as client:
        for _ in range(3):
            assert (await post(client, url)).status_code == 200
        assert len(requests) == 3


@pytest.mark.anyio
async def test_a_body_that_runs_to_the_end_of_the_connection_and_connection_close() -> None:
    unframed = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it"
    async with server([unframed], close_after=1) as (url, _), LeanClient() as client:
        assert (await post(client, url)).text == "all of it"
        assert not any(client._idle.values())


@pytest.mark.anyio
async def test_transport_failures_are_httpx_errors_the_queue_logs() -> None:
    async with LeanClient() as client:
        with pytest.raises(httpx.ConnectError, match=r"refused|failed"):
            await post(client, "http://127.0.0.1:1/hook")
    garbage = b"NOT HTTP\r\n\r\n"
    async with server([garbage]) as (url, _), LeanClient() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="bad status line"):
            await post(client, url)


@pytest.mark.anyio
async def test_a_receiver_that_never_answers_times_out() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read(1 << 16)

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/"
    async with listener, LeanClient() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, content=b"{}", headers={}, timeout=0.05)
        for writer in writers:
            writer.close()
        await asyncio.sleep(0.01)


@pytest.mark.anyio
async def test_anything_but_a_plain_post_to_http_is_httpx_own() -> None:
    async with server([OK]) as (url, requests), LeanClient() as client:
        answer = await client.post(url, content=b"{}", params={"y": "2"})  # an argument the lean path does not take
        assert answer.status_code == 200 and b"y=2" in requests[0].split(b"\r\n")[0]
        assert b"user-agent: python-httpx" in requests[0].lower()
