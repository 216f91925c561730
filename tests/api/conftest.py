"""A scriptable device on 127.0.0.1 for the client's tests: real HTTP, no mocks of aiohttp."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import json
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.homevolt_local_api.api import HomevoltClient

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeDevice:
    """Answers each path from a table the test fills; records every request."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    url: str = ""

    def json(self, path: str, payload: Any, status: int = 200, method: str = "GET") -> None:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(
                text=json.dumps(payload), status=status, content_type="application/json"
            )

        self.routes[(method, path)] = handler

    def text(self, path: str, text: str, status: int = 200, method: str = "GET") -> None:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(text=text, status=status)

        self.routes[(method, path)] = handler

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def posts(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == "POST" and seen.path == path]

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.seen.append(Seen(request.method, request.path, form, dict(request.headers)))
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.Response(status=404, text="Not found")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """These tests talk to servers on 127.0.0.1."""


@pytest.fixture
async def device() -> AsyncIterator[FakeDevice]:
    fake = FakeDevice()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.dispatch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = f"http://127.0.0.1:{server.port}"
    yield fake
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def make_client(
    device: FakeDevice, session: aiohttp.ClientSession
) -> Callable[..., HomevoltClient]:
    def make(password: str | None = "secret", **kwargs: Any) -> HomevoltClient:
        return HomevoltClient(device.url, password, session=session, **kwargs)

    return make


async def never(_: web.Request) -> web.Response:
    """A handler that does not answer within any test's timeout."""
    await asyncio.sleep(30)
    return web.Response(text="late")
