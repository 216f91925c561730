"""Home Assistant with the integration, talking to a simulator over loopback HTTP."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.homevolt_local_api.const import DOMAIN, FOLLOW_UP_INTERVAL
from simulator.server import Simulator, SimulatorOptions
from simulator.threaded import SimulatorThread

START = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

type StartSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None, socket_enabled: None) -> None:
    """Load our integration; let it reach the simulator on 127.0.0.1."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format: registry ids and entry ids left out."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, also those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """Start simulators; a frozen clock (speed 0) keeps values stable for snapshots."""
    started: list[SimulatorThread] = []

    async def start(**options: Any) -> Simulator:
        options = {"port": 0, "speed": 0.0, "start": START, "reboot_seconds": 0.3, **options}
        thread = SimulatorThread(SimulatorOptions(**options))
        started.append(thread)
        return await asyncio.get_running_loop().run_in_executor(None, thread.start)

    yield start
    for thread in started:
        await asyncio.get_running_loop().run_in_executor(None, thread.stop)


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    return await start_sim()


async def control(simulator: Simulator, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """Drive the simulator over its /_sim/ path."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{simulator.url}/_sim/{action}", json=body, ssl=False) as response,
    ):
        response.raise_for_status()
        result: dict[str, Any] = await response.json()
        return result


def entry_for(simulator: Simulator, **data: Any) -> MockConfigEntry:
    """A config entry pointing at the simulator."""
    system_id = f"{simulator.system.units[0].ecu_hex}"
    if simulator.options.firmware == "2025":
        system_id = str(simulator.system.units[0].ecu_id)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Homevolt",
        unique_id=system_id,
        data={CONF_HOST: simulator.url, CONF_PASSWORD: simulator.options.password, **data},
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set the entry up, and let the read that follows set-up (status, params, OTA) happen."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)
    return entry


async def follow_up(hass: HomeAssistant) -> None:
    """Let the read scheduled right after set-up happen (what set-up leaves out)."""
    # The coordinator rounds its schedule to whole seconds of the loop's clock: up to one later.
    async_fire_time_changed(hass, dt_util.utcnow() + FOLLOW_UP_INTERVAL + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)  # polls run in the background
