"""Writes against polls, quick changes against a slow device, and a write's end with its entry.

Between Home Assistant and the simulator sits a small proxy on 127.0.0.1 that can hold any
request (before the device sees it) or any answer (after the device acted), so that the test,
not the clock, decides what happens in which order.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, control, entry_for, setup_entry

BATCH_SECONDS = "custom_components.homevolt_local_api.control.BATCH_SECONDS"
CONSOLE = "POST /console.json"
SCHEDULE = "GET /schedule.json"


@dataclass
class Gate:
    """One request held: `arrived` when it reaches the proxy, sent on when `release` is set."""

    after_device: bool
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


class HoldingProxy:
    """Forwards to the simulator; holds the requests the test asks it to."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.gates: dict[str, list[Gate]] = defaultdict(list)
        self.answers: dict[str, tuple[int, str]] = {}
        self.server = TestServer(web.Application(), host="127.0.0.1")
        self.server.app.router.add_route("*", "/{path:.*}", self._handle)
        self.session: ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def hold(self, key: str, *, after_device: bool = False) -> Gate:
        """Hold the next `key` request ("POST /console.json"), before or after the device."""
        gate = Gate(after_device)
        self.gates[key].append(gate)
        return gate

    def answer(self, key: str, status: int, body: str) -> None:
        """Answer every `key` request this way instead of the device (until cleared)."""
        self.answers[key] = (status, body)

    async def _handle(self, request: web.Request) -> web.Response:
        key = f"{request.method} {request.path}"
        if key in self.answers:
            status, text = self.answers[key]
            return web.Response(status=status, text=text)
        gate = self.gates[key].pop(0) if self.gates[key] else None
        if gate is not None and not gate.after_device:
            gate.arrived.set()
            await gate.release.wait()
        assert self.session is not None
        headers = {
            name: request.headers[name]
            for name in ("Authorization", "Content-Type")
            if name in request.headers
        }
        async with self.session.request(
            request.method,
            f"{self.target}{request.path_qs}",
            data=await request.read(),
            headers=headers,
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            status, content_type = answer.status, answer.content_type
        if gate is not None and gate.after_device:
            gate.arrived.set()
            await gate.release.wait()
        return web.Response(body=body, status=status, content_type=content_type)


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    """The device's clock at the real now, as on a real unit."""
    simulator = await start_sim(start=None)
    await control(simulator, "unit", {"index": 0, "soc": 50.0})
    return simulator


@pytest.fixture
async def proxy(sim: Simulator) -> AsyncIterator[HoldingProxy]:
    holding = HoldingProxy(sim.url)
    # No access log: its local-time lookup trips over the frozen clock of some tests.
    await holding.server.start_server(access_log=None)
    async with ClientSession() as session:
        holding.session = session
        yield holding
        for gates in holding.gates.values():
            for gate in gates:
                gate.release.set()
    await holding.server.close()


async def _setup(hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy) -> MockConfigEntry:
    entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    return entry


async def _action(hass: HomeAssistant, name: str, **data: Any) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.name == "Homevolt")
    await hass.services.async_call(DOMAIN, name, {"device_id": device_id, **data}, blocking=True)


def _set_number(hass: HomeAssistant, name: str, value: float) -> Awaitable[Any]:
    return hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": f"number.homevolt_{name}", "value": value},
        blocking=True,
    )


async def _spin(condition: Any = lambda: False, rounds: int = 500) -> None:
    """Let the event loop run the other tasks until they wait for I/O or a lock (no clock)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)


def console_posts(sim: Simulator) -> int:
    return sim.requests[CONSOLE]


async def test_write_finishing_mid_poll_is_not_undone(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _setup(hass, sim, proxy)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    client = entry.runtime_data.coordinator.client

    # A poll that reads the schedule (and more after it) is held at the schedule ...
    poll_schedule = proxy.hold(SCHEDULE)
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await poll_schedule.arrived.wait()
    # ... while the owner picks another mode: its command queues behind the poll's request.
    write = hass.async_create_task(
        hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": "grid_discharge"},
            blocking=True,
        )
    )
    await _spin(client._write_lock.locked)
    assert client._write_lock.locked()
    # The poll read the old schedule; the write lands and reads back before the poll ends.
    poll_schedule.release.set()
    await write
    await hass.async_block_till_done(wait_background_tasks=True)  # the poll ends after it

    assert sim.system.schedule[0].type == 4
    assert hass.states.get("select.homevolt_battery_mode").state == "grid_discharge"
    # The next limit change re-issues what the device runs, not the mode the poll saw.
    with patch(BATCH_SECONDS, 0):  # the frozen clock would hold the batching pause
        await _set_number(hass, "power_setpoint", 1500)
    assert (sim.system.schedule[0].type, sim.system.schedule[0].params["setpoint"]) == (4, 1500)


async def test_two_quick_limit_changes_with_a_slow_device_both_apply(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    entry = await _setup(hass, sim, proxy)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    before = console_posts(sim)
    control_ = entry.runtime_data.control

    with patch(BATCH_SECONDS, 0):
        slow_answer = proxy.hold(CONSOLE, after_device=True)
        first = hass.async_create_task(_set_number(hass, "power_setpoint", 1500))
        await slow_answer.arrived.wait()  # the device has it, its answer is slow
        # The second change comes while the first is still unanswered: its own batch.
        second = hass.async_create_task(_set_number(hass, "max_charge", 4000))
        await _spin(lambda: control_._batch is not None)
        await _spin()  # the second batch now waits for the first one's read-back
        slow_answer.release.set()
        await asyncio.gather(first, second)

    assert console_posts(sim) == before + 2
    entry_ = sim.system.schedule[0]
    assert entry_.type == 3
    assert entry_.params == {"setpoint": 1500, "max_charge": 4000}
    assert hass.states.get("number.homevolt_power_setpoint").state == "1500.0"
    assert hass.states.get("number.homevolt_max_charge").state == "4000.0"


async def test_a_refused_batch_fails_every_caller(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(start=None, min_soc_param=False)
    await setup_entry(hass, entry_for(sim))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    before = console_posts(sim)
    # Each change fits on its own; merged, the minimum is above the maximum.
    results = await asyncio.gather(
        _set_number(hass, "minimum_soc", 60),
        _set_number(hass, "maximum_soc", 50),
        return_exceptions=True,
    )
    assert [getattr(result, "translation_key", None) for result in results] == [
        "soc_order_in_force"
    ] * 2
    assert console_posts(sim) == before


async def test_unload_with_pending_change_fails_it_and_sends_nothing(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    entry = await _setup(hass, sim, proxy)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    before = console_posts(sim)
    control_ = entry.runtime_data.control
    with patch(BATCH_SECONDS, 3600):
        change = hass.async_create_task(_set_number(hass, "power_setpoint", 1500))
        await _spin(lambda: control_._batch is not None)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await _spin(change.done)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert change.done()
    with pytest.raises(HomeAssistantError) as caught:
        await change
    assert caught.value.translation_key == "unloaded"
    assert console_posts(sim) == before


async def test_limit_change_without_an_entry_is_refused(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    await _setup(hass, sim, proxy)
    await _action(hass, "clear_schedule")
    before = console_posts(sim)
    for name, value in (("power_setpoint", 1000), ("maximum_soc", 90), ("grid_import_limit", 5)):
        with pytest.raises(ServiceValidationError) as caught:
            await _set_number(hass, name, value)
        assert caught.value.translation_key == "no_mode"
    assert console_posts(sim) == before
    assert sim.system.schedule == []


@pytest.mark.parametrize(
    ("status", "body", "key"),
    [
        (
            200,
            "sched_set: invalid argument\nCommand returned non-zero error code",
            "command_failed",
        ),
        (404, "not found", "command_failed"),
        (401, "unauthorized", "invalid_auth"),
    ],
)
async def test_device_refusals_are_translated(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy, status: int, body: str, key: str
) -> None:
    entry = await _setup(hass, sim, proxy)
    proxy.answer(CONSOLE, status, body)
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    assert caught.value.translation_key == key
    assert sim.system.schedule[0].type != 3
    reauth = list(entry.async_get_active_flows(hass, {"reauth"}))
    assert bool(reauth) is (key == "invalid_auth")


async def test_unreachable_device_is_translated(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    await _setup(hass, sim, proxy)
    await proxy.server.close()
    # The first try may have reached the device on a kept-alive connection: not resent.
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, "idle")
    assert caught.value.translation_key in ("outcome_unknown", "communication_error")
    # Nothing listens any more: the next one never reached it.
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, "idle")
    assert caught.value.translation_key == "communication_error"


async def test_window_already_over_is_refused(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    await _setup(hass, sim, proxy)
    before = console_posts(sim)
    now = dt_util.now()
    with pytest.raises(ServiceValidationError) as caught:
        await _action(
            hass,
            "add_schedule_entry",
            mode="idle",
            start=now - timedelta(hours=2),
            end=now - timedelta(hours=1),
        )
    assert caught.value.translation_key == "invalid_value"
    assert console_posts(sim) == before


async def test_repair_goes_with_its_entry(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy
) -> None:
    entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    with pytest.raises(ServiceValidationError):
        await _action(hass, "idle")  # local mode is off: the repair is raised
    issue_id = f"local_mode_off_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
