"""A simulator per test, driven over HTTP on 127.0.0.1."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.homevolt_local_api.api import HomevoltClient
from simulator.server import Simulator, SimulatorOptions

type StartSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """These tests talk to servers on 127.0.0.1."""


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    started: list[Simulator] = []

    async def start(**options: Any) -> Simulator:
        options = {"port": 0, "reboot_seconds": 0.3, "backoff_base": 0.2, **options}
        simulator = Simulator(SimulatorOptions(**options))
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


@pytest.fixture
def client_for(session: aiohttp.ClientSession) -> Callable[..., HomevoltClient]:
    def make(simulator: Simulator, **kwargs: Any) -> HomevoltClient:
        return HomevoltClient(
            simulator.url, simulator.options.password, session=session, verify_ssl=False, **kwargs
        )

    return make


class Control:
    """The simulator's /_sim/ path, over HTTP."""

    def __init__(self, session: aiohttp.ClientSession, simulator: Simulator) -> None:
        self.session = session
        self.url = simulator.url

    async def __call__(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        method = "GET" if body is None else "POST"
        async with self.session.request(
            method, f"{self.url}/_sim/{action}", json=body, ssl=False
        ) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def console(self, command: str, password: str = "homevolt") -> str:
        async with self.session.post(
            f"{self.url}/console.json",
            data={"cmd": command},
            headers={"Authorization": aiohttp.encode_basic_auth("admin", password)},
        ) as response:
            return await response.text()


@pytest.fixture
def control_for(session: aiohttp.ClientSession) -> Callable[[Simulator], Control]:
    return lambda simulator: Control(session, simulator)
