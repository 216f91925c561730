"""Framing a device can get wrong, from a raw socket on 127.0.0.1 (aiohttp's server never does)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import json
import tracemalloc

import aiohttp
import pytest

from custom_components.homevolt_local_api.api import HomevoltClient, HomevoltConnectionError
from custom_components.homevolt_local_api.api.const import MAX_BODY_BYTES
from tests.conftest import load_fixture

BODY = json.dumps(load_fixture("status_2026.json")).encode()
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

type Answer = Callable[[int, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw() -> AsyncIterator[Callable[[Answer], Awaitable[str]]]:
    """A server that writes each answer (by request number) as the test says, byte for byte."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> str:
        count = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal count
            try:
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    count += 1
                    await answer(count, writer)
            except asyncio.IncompleteReadError, ConnectionError:
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_small_declared_length_with_a_huge_chunked_body_is_refused(
    raw: Callable[[Answer], Awaitable[str]],
) -> None:
    chunk = b"0" * 65536

    async def answer(_: int, writer: asyncio.StreamWriter) -> None:
        # Content-Length says 20 bytes; chunked framing then sends 50 MiB.
        writer.write(HEAD + b"Content-Length: 20\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(50 * 16):
            writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    host = await raw(answer)
    async with aiohttp.ClientSession() as session:
        tracemalloc.start()
        try:
            with pytest.raises(HomevoltConnectionError):
                await HomevoltClient(host, session=session).status()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 3 * MAX_BODY_BYTES


async def test_bytes_past_the_declared_length_do_not_spoil_the_next_read(
    raw: Callable[[Answer], Awaitable[str]],
) -> None:
    async def answer(number: int, writer: asyncio.StreamWriter) -> None:
        head = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY)
        # The first answer runs on past its length with what looks like another answer.
        extra = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" if number == 1 else b""
        writer.write(head + BODY + extra)
        await writer.drain()

    host = await raw(answer)
    async with aiohttp.ClientSession() as session:
        client = HomevoltClient(host, session=session)
        for _ in range(3):
            assert (await client.status()).esp_firmware == "3056-1a3446ed"
