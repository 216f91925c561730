"""A misbehaving device, between Home Assistant and the simulator: nothing it does hurts HA."""

from collections.abc import AsyncIterator
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.hostile import HostileProxy
from tests.integration.conftest import START, StartSim, entry_for, setup_entry

SOC = "sensor.homevolt_state_of_charge"
WIFI = "sensor.homevolt_wi_fi_signal"
CLOUD = "binary_sensor.homevolt_cloud_connection"
SCHEDULE_SOURCE = "sensor.homevolt_schedule_source"
MIN_SOC = "number.homevolt_minimum_soc"
TEMPERATURE = "sensor.homevolt_temperature"


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    return await start_sim()


@pytest.fixture
async def proxy(sim: Simulator) -> AsyncIterator[HostileProxy]:
    hostile = HostileProxy(sim.url)
    await hostile.start()
    yield hostile
    await hostile.stop()


async def _setup(hass: HomeAssistant, sim: Simulator, proxy: HostileProxy) -> Any:
    entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback or unhandled error on Home Assistant's side (the hostile server's own
    complaints about the connections it broke do not count)."""
    ours = [r for r in caplog.records if r.name not in ("aiohttp.server", "asyncio")]
    assert not [r for r in ours if r.exc_info and r.levelno > logging.DEBUG]
    assert not [r for r in ours if r.name == "homeassistant" and r.levelno >= logging.ERROR]
    assert "Traceback" not in "".join(r.getMessage() for r in ours)


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "garbage", "huge", "bomb"])
async def test_status_failure_takes_only_its_entities(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    await _setup(hass, sim, proxy)
    assert _state(hass, WIFI) != STATE_UNAVAILABLE
    proxy.faults["/status.json"] = fault
    await _tick(hass, freezer, 300)  # status.json's tier
    assert _state(hass, WIFI) == STATE_UNAVAILABLE
    assert _state(hass, CLOUD) == STATE_UNAVAILABLE
    for entity_id in (SOC, SCHEDULE_SOURCE, TEMPERATURE):
        assert _state(hass, entity_id) != STATE_UNAVAILABLE, entity_id
    await _tick(hass, freezer, 15)  # still failing: warned about once
    assert caplog.text.count("Ignoring status until it can be read") == 1
    del proxy.faults["/status.json"]
    await _tick(hass, freezer, 45)  # a failed part is read again a minute after it failed
    assert _state(hass, WIFI) != STATE_UNAVAILABLE
    _no_tracebacks(caplog)


@pytest.mark.parametrize("fault", ["500", "huge", "bomb", "truncate"])
async def test_ems_failure_takes_everything(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    await _setup(hass, sim, proxy)
    proxy.faults["/ems.json"] = fault
    await _tick(hass, freezer, 15)
    for entity_id in (SOC, TEMPERATURE, WIFI, SCHEDULE_SOURCE):
        assert _state(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    del proxy.faults["/ems.json"]
    await _tick(hass, freezer, 15)
    assert _state(hass, SOC) != STATE_UNAVAILABLE
    _no_tracebacks(caplog)


async def test_a_hung_device_does_not_hold_polling(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch("custom_components.homevolt_local_api.api.client.REQUEST_DEADLINE", 0.3):
        entry = await _setup(hass, sim, proxy)
    coordinator = entry.runtime_data.coordinator
    proxy.faults["/ems.json"] = "trickle"  # one byte every 50 ms: minutes for the answer
    # (Real time here: a frozen clock would never reach the deadline.)
    await coordinator.async_refresh()
    # The poll ended at the deadline: the old state of charge is not shown as available,
    # and the next poll is scheduled.
    assert not coordinator.last_update_success
    assert _state(hass, SOC) == STATE_UNAVAILABLE
    assert coordinator._unsub_refresh is not None
    before = proxy.requests["GET /ems.json"]
    del proxy.faults["/ems.json"]
    await coordinator.async_refresh()
    assert proxy.requests["GET /ems.json"] == before + 1
    assert _state(hass, SOC) != STATE_UNAVAILABLE
    _no_tracebacks(caplog)


async def test_implausible_values_are_unknown_and_warned_once(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _setup(hass, sim, proxy)

    def hostile(payload: Any) -> None:
        data = payload["ems"][0]["ems_data"]
        data.update(soc_avg=20000, sys_temp=30000, frequency=10**400)

    proxy.mutations["/ems.json"] = hostile
    for _ in range(3):
        await _tick(hass, freezer, 15)
        assert _state(hass, SOC) == STATE_UNKNOWN
        assert _state(hass, TEMPERATURE) == STATE_UNKNOWN
        assert _state(hass, "sensor.homevolt_battery_power") not in (
            STATE_UNKNOWN,
            STATE_UNAVAILABLE,
        )
    assert caplog.text.count("ems_data.soc_avg") == 1
    assert caplog.text.count("ems_data.sys_temp") == 1
    del proxy.mutations["/ems.json"]
    await _tick(hass, freezer, 15)
    assert 0 <= float(_state(hass, SOC)) <= 100
    _no_tracebacks(caplog)


async def test_impossible_uptime_keeps_the_integration_up(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _setup(hass, sim, proxy)
    for up_time in (1e308, 1e16):
        proxy.mutations["/status.json"] = lambda payload, v=up_time: payload.update(up_time=v)
        await _tick(hass, freezer, 300)
        assert _state(hass, "sensor.homevolt_last_restart") == STATE_UNKNOWN
        assert _state(hass, SOC) != STATE_UNAVAILABLE
        assert _state(hass, WIFI) != STATE_UNAVAILABLE
    _no_tracebacks(caplog)


async def test_minimum_soc_does_not_switch_source_while_params_fail(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
) -> None:
    def local_entry(payload: Any) -> None:
        payload.update(local_mode=True, schedule_id="Manual Schedule")
        start = int(START.timestamp())
        payload["schedule"] = [{"id": 1, "type": 0, "from": start, "min": 15}]

    proxy.mutations["/schedule.json"] = local_entry
    await _setup(hass, sim, proxy)
    assert float(_state(hass, MIN_SOC)) == 10  # the parameter, not the entry's 15
    proxy.faults["/params.json"] = "500"
    await _tick(hass, freezer, 6 * 3600)  # params.json's tier
    assert _state(hass, MIN_SOC) == STATE_UNKNOWN
    before = proxy.requests["GET /params.json"]
    await _tick(hass, freezer, 15)
    assert proxy.requests["GET /params.json"] == before  # not every poll: it is large
    del proxy.faults["/params.json"]
    await _tick(hass, freezer, 45)
    assert float(_state(hass, MIN_SOC)) == 10


async def test_diagnostics_send_nothing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await _setup(hass, sim, proxy)
    before = sum(proxy.requests.values())
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert sum(proxy.requests.values()) == before
    assert result["raw"]["ems.json"]["ems"]
    # The password changes on the device: reauth starts, and diagnostics still send nothing.
    sim.options.password = "changed"
    # Reauth starts once the login is still refused after the back-off has been waited out.
    for _ in range(40):
        await _tick(hass, freezer, 15)
        if hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    before = sum(proxy.requests.values())
    await get_diagnostics_for_config_entry(hass, hass_client, entry)
    await _tick(hass, freezer, 60)
    assert sum(proxy.requests.values()) == before


async def test_set_up_reads_a_400_digit_integer(
    hass: HomeAssistant, sim: Simulator, proxy: HostileProxy
) -> None:
    """The form does not show "unknown": the value alone is ignored and the entry is made."""
    proxy.mutations["/ems.json"] = lambda p: p["ems"][0]["ems_data"].update(power=10**400)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: proxy.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert _state(hass, "sensor.homevolt_battery_power") == STATE_UNKNOWN
    assert _state(hass, SOC) != STATE_UNAVAILABLE


async def test_schedule_failure_takes_only_its_entities(
    hass: HomeAssistant,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _setup(hass, sim, proxy)
    schedule_entities = (
        SCHEDULE_SOURCE,
        "number.homevolt_power_setpoint",
        "calendar.homevolt_schedule",
        "select.homevolt_battery_mode",
        "switch.homevolt_local_mode",
    )
    proxy.faults["/schedule.json"] = "500"
    await _tick(hass, freezer, 120)  # schedule.json's tier
    for entity_id in schedule_entities:
        assert _state(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    for entity_id in (SOC, WIFI, TEMPERATURE):
        assert _state(hass, entity_id) != STATE_UNAVAILABLE, entity_id
    del proxy.faults["/schedule.json"]
    await _tick(hass, freezer, 60)  # a failed part is retried each minute
    for entity_id in schedule_entities:
        assert _state(hass, entity_id) != STATE_UNAVAILABLE, entity_id
    _no_tracebacks(caplog)


async def test_secrets_stay_out_of_logs_and_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: Simulator,
    proxy: HostileProxy,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = await _setup(hass, sim, proxy)
    for path, fault in (("/ems.json", "reset"), ("/ems.json", "bomb"), ("/status.json", "500")):
        proxy.faults[path] = fault
        await _tick(hass, freezer, 300)
        proxy.faults.clear()
    sim.options.password = "changed"
    await _tick(hass, freezer, 15)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    header = "YWRtaW46aG9tZXZvbHQ="  # base64 of admin:homevolt
    for text in (caplog.text, repr(diagnostics), repr(entry.runtime_data.coordinator.client)):
        assert "admin:homevolt" not in text
        assert header not in text
    assert diagnostics["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
