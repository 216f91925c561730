"""The demo on a machine that already runs servers: free ports, and never a foreign request.

Foreign servers here are aiohttp servers on 127.0.0.1 that record every request; the demo's own
server is the real simulator, started the way scripts/demo starts it.
"""

from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import subprocess
import sys
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components.http.config import async_load_config
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
import yaml

from demo import __main__ as demo, ports, requirements

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Foreign:
    """Somebody else's server (another Home Assistant, say): it records what reaches it."""

    port: int = 0
    seen: list[str] = field(default_factory=list)

    async def dispatch(self, request: web.Request) -> web.Response:
        self.seen.append(f"{request.method} {request.path}")
        return web.json_response({"message": "User step already done"}, status=403)


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """These tests listen on and talk to 127.0.0.1."""


@pytest.fixture
async def foreign() -> AsyncIterator[list[Foreign]]:
    servers: list[TestServer] = []
    found: list[Foreign] = []
    for _ in range(2):
        server = Foreign()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", server.dispatch)
        test_server = TestServer(app, host="127.0.0.1")
        await test_server.start_server()
        server.port = test_server.port  # type: ignore[assignment]
        servers.append(test_server)
        found.append(server)
    yield found
    for test_server in servers:
        await test_server.close()


def free_port() -> int:
    claim, _ = ports.claim(20000, what="test", option="--port", explicit=False)
    claim.release()
    return claim.port


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "demo", "--check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_taken_default_port_moves_to_the_next_free_one(foreign: list[Foreign]) -> None:
    taken = foreign[0].port
    claim, note = ports.claim(taken, what="Home Assistant", option="--port", explicit=False)
    try:
        assert claim.port != taken
        assert not ports.listening(claim.port)
        assert note is not None
        assert f"127.0.0.1:{taken} is taken (another program listens there)" in note
        assert f"127.0.0.1:{claim.port} instead" in note
    finally:
        claim.release()
    assert foreign[0].seen == []


async def test_free_default_port_is_kept() -> None:
    port = free_port()
    claim, note = ports.claim(port, what="Home Assistant", option="--port", explicit=False)
    claim.release()
    assert (claim.port, note) == (port, None)


async def test_taken_home_assistant_port_stops_the_demo_naming_it(
    foreign: list[Foreign],
) -> None:
    ha, sim = foreign
    result = run_demo("--port", str(ha.port), "--sim-port", str(sim.port))
    assert result.returncode == 1
    assert f"127.0.0.1:{ha.port} (--port) is taken: another program listens there" in result.stdout
    assert "Home Assistant at" not in result.stdout
    assert ha.seen == []
    assert sim.seen == []


async def test_taken_simulator_port_stops_the_demo_naming_it(foreign: list[Foreign]) -> None:
    sim = foreign[1]
    result = run_demo("--port", str(free_port()), "--sim-port", str(sim.port))
    assert result.returncode == 1
    assert f"127.0.0.1:{sim.port} (--sim-port) is taken" in result.stdout
    assert sim.seen == []


async def test_a_second_demo_never_takes_the_first_ones_port() -> None:
    port = free_port()
    first, _ = ports.claim(port, what="Home Assistant", option="--port", explicit=True)
    try:
        # Nothing listens yet (the first demo is still starting), but the port is held.
        assert not ports.listening(port)
        with pytest.raises(ports.PortError, match=f"127.0.0.1:{port} .* another demo uses it"):
            ports.claim(port, what="Home Assistant", option="--port", explicit=True)
        second, note = ports.claim(port, what="Home Assistant", option="--port", explicit=False)
        second.release()
        assert second.port != port
        assert note is not None
        assert "another demo uses it" in note
    finally:
        first.release()


@contextlib.contextmanager
def simulator_on(
    port: int, tmp_path: Path, start: datetime | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    site = demo.Site(ha_port=port, sim_port=port)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "DEMO_DIR", tmp_path)
        process = demo.start_simulator(site, start)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_own_server_is_told_from_a_foreign_one(
    foreign: list[Foreign], tmp_path: Path
) -> None:
    port = free_port()
    with simulator_on(port, tmp_path) as process:
        async with aiohttp.ClientSession() as session:
            await demo.wait_for_own(
                session,
                process=process,
                port=port,
                path="/_sim/state",
                seconds=30,
                what="the virtual Homevolt",
                logs=tmp_path,
            )
        assert ports.owner(port, process.pid) == "ours"
        assert ports.owner(foreign[0].port, process.pid) == "other"
        assert ports.owner(free_port(), process.pid) == "none"
    assert foreign[0].seen == []


async def test_port_taken_while_starting_is_named_and_never_asked(
    foreign: list[Foreign], tmp_path: Path
) -> None:
    taken = foreign[0]
    # As if another program took the port between the demo's check and its server's start.
    with simulator_on(taken.port, tmp_path) as process:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(demo.DemoError, match=f"127.0.0.1:{taken.port}"):
                await demo.wait_for_own(
                    session,
                    process=process,
                    port=taken.port,
                    path="/_sim/state",
                    seconds=30,
                    what="the virtual Homevolt",
                    logs=tmp_path,
                )
    assert taken.seen == []


async def test_http_settings_come_from_storage_without_a_repair(
    hass: HomeAssistant, hass_storage: dict[str, object], tmp_path: Path
) -> None:
    """The settings the demo writes are the ones Home Assistant's HTTP store applies."""
    site = demo.Site(ha_port=8321, sim_port=8322)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "DEMO_DIR", tmp_path)
        site.config.mkdir(parents=True)
        demo.write_storage(site)
        stored = (site.config / ".storage" / "http").read_text()
    hass_storage["http"] = yaml.safe_load(stored)
    conf = await async_load_config(hass, demo_configuration())
    assert conf["server_host"] == ["127.0.0.1"]
    assert conf["server_port"] == 8321
    assert ir.async_get(hass).issues == {}


def demo_configuration() -> dict[str, Any]:
    """The demo's configuration.yaml, its `!include`s left as the file names."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!include", lambda loader, node: loader.construct_scalar(node))
    result: dict[str, Any] = yaml.load(demo.CONFIGURATION.format(url="x"), Loader=Loader)
    return result


def test_requirements_cover_the_demo_configuration() -> None:
    """demo/requirements.py resolves the domains the demo's configuration.yaml names."""
    configured = set(demo_configuration())
    assert configured == requirements.DEMO_DOMAINS
