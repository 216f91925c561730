"""A misbehaving device on 127.0.0.1: answers that hang, trickle, flood, explode or lie.

`HostileProxy` stands between the integration and the simulator: it forwards every request,
except where a test (or the soak) tells it to misbehave on a path.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
import json
from typing import Any
import zlib

import aiohttp
from aiohttp import web

MIB = 1024 * 1024
_ZEROS = bytes(64 * 1024)

type Mutation = Callable[[Any], None]


def gzip_bomb(expanded_mib: int = 100) -> bytes:
    """A gzip stream of zeros: about 0.1 MiB on the wire per 100 MiB expanded."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(_ZEROS) for _ in range(expanded_mib * 16)]
    return b"".join([*parts, compressor.flush()])


async def stream_zeros(
    request: web.Request, total: int, *, declare_length: bool = False
) -> web.StreamResponse:
    """`total` bytes of zeros in 64 KiB writes of one shared buffer (nothing held in memory)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if declare_length:
        response.content_length = total
    await response.prepare(request)
    sent = 0
    while sent < total:
        chunk = _ZEROS[: min(len(_ZEROS), total - sent)]
        await response.write(chunk)
        sent += len(chunk)
    await response.write_eof()
    return response


async def send_gzip(request: web.Request, body: bytes) -> web.StreamResponse:
    """A body sent with Content-Encoding: gzip."""
    return web.Response(
        body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )


async def trickle(
    request: web.Request, body: bytes, *, interval: float, finished: list[bool] | None = None
) -> web.StreamResponse:
    """The body one byte at a time, `interval` seconds apart; `finished` set at the very end."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    for byte in body:
        await response.write(bytes([byte]))
        await asyncio.sleep(interval)
    await response.write_eof()
    if finished is not None:
        finished.append(True)
    return response


def padded(payload: Any, size: int) -> bytes:
    """Valid JSON of `size` bytes: the payload followed by spaces."""
    text = json.dumps(payload)
    return text.encode() + b" " * max(0, size - len(text))


async def reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection without an answer (a reset, as on weak Wi-Fi)."""
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError


class HostileProxy:
    """Forwards to `upstream`, misbehaving on the paths in `faults`, rewriting `mutations`.

    Faults (per path, e.g. "/status.json"): "500", "502", "503", "504", "reset", "hang",
    "trickle", "huge", "bomb", "truncate", "garbage". A fault "reset:1" or "503:1" happens on
    that many requests and then stops.
    """

    def __init__(self, upstream: str) -> None:
        """A proxy for the device at `upstream`; `await start()` gives its url."""
        self.upstream = upstream.rstrip("/")
        self.faults: dict[str, str] = {}
        self.mutations: dict[str, Mutation] = {}
        self.requests: Counter[str] = Counter()
        self.served: Counter[str] = Counter()
        """Faults actually served, by name (a fault set on a path nobody asked for is not)."""
        self.hang_seconds = 30.0
        self.trickle_interval = 0.05
        self._counts: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._bomb: bytes | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._session = aiohttp.ClientSession()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def clear(self) -> None:
        """No faults or mutations; a fault limited to N requests counts afresh when set again."""
        self.faults.clear()
        self.mutations.clear()
        self._counts.clear()

    def _fault(self, path: str) -> str | None:
        fault = self.faults.get(path) or self.faults.get("*")
        if fault is None:
            return None
        name, _, times = fault.partition(":")
        if times:
            self._counts[path] += 1
            if self._counts[path] > int(times):
                return None
        return name

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests[f"{request.method} {path}"] += 1
        fault = self._fault(path)
        if fault is not None:
            self.served[fault] += 1
        if path in self.mutations:
            self.served["mutation"] += 1
        if fault in ("500", "502", "503", "504"):
            return web.Response(status=int(fault), text="error")
        if fault == "reset":
            return await reset(request)
        if fault == "hang":
            await asyncio.sleep(self.hang_seconds)
            return web.Response(status=504, text="late")
        if fault == "huge":
            return await stream_zeros(request, 50 * MIB)
        if fault == "bomb":
            if self._bomb is None:
                self._bomb = gzip_bomb()
            return await send_gzip(request, self._bomb)
        if fault == "garbage":
            return web.Response(body=b"\xff\xfe<html>", content_type="application/json")
        status, body, content_type = await self._forward(request)
        if status == 200 and path in self.mutations:
            try:
                payload = json.loads(body)
            except ValueError:
                pass  # the simulator truncated it: pass that on as it is
            else:
                self.mutations[path](payload)
                body = json.dumps(payload).encode()
        if fault == "truncate":
            body = body[: len(body) // 2]
        if fault == "trickle":
            return await trickle(request, body, interval=self.trickle_interval)
        return web.Response(status=status, body=body, content_type=content_type)

    async def _forward(self, request: web.Request) -> tuple[int, bytes, str]:
        assert self._session is not None
        data = await request.post() if request.method == "POST" else None
        async with self._session.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            data=dict(data) if data else None,
            headers={k: v for k, v in request.headers.items() if k == "Authorization"},
            allow_redirects=False,
        ) as response:
            return response.status, await response.read(), response.content_type
