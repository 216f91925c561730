"""Set-up, unload, retry, reauth, polling load, and devices that come and go."""

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.model import Entry
from tests.integration.conftest import StartSim, control, entry_for, setup_entry


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_and_unload(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    entry = await setup_entry(hass, entry_for(sim))
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.homevolt_state_of_charge") is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_retry_when_unreachable(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    await control(sim, "faults", {"error": 1.0})
    entry = await setup_entry(hass, entry_for(sim))
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_wrong_password_starts_reauth_and_stops_polling(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_PASSWORD: "old"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Refused while Home Assistant starts: perhaps a back-off someone else caused, so set-up is
    # retried, each time later, before the owner is asked.
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    for _ in range(60):  # up to 15 minutes
        await _tick(hass, freezer, 15)
        if hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert sim.requests["GET /ems.json"] <= 6  # the back-off was left to run out
    before = sum(sim.requests.values())
    await _tick(hass, freezer, 120)
    # No more attempts with the wrong password: the device's back-off is left alone.
    assert sum(sim.requests.values()) == before


async def test_login_back_off_while_home_assistant_starts_is_waited_out(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim(backoff_base=20.0)
    # Another client tried a wrong password just before: the battery locks logins for 20 s.
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sim.url}/ems.json",
            headers={"Authorization": aiohttp.encode_basic_auth("admin", "wrong")},
        ) as response,
    ):
        assert response.status == 401
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    for _ in range(8):
        await _tick(hass, freezer, 15)
        if entry.state is ConfigEntryState.LOADED:
            break
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_auth_failure_while_running(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    entry = await setup_entry(hass, entry_for(sim))
    sim.options.password = "changed"
    sim.requests.clear()
    # Refused, but it may be a back-off someone else caused: retried, each time later...
    for _ in range(20):  # 5 minutes of polls
        await _tick(hass, freezer, 15)
        assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert hass.states.get("sensor.homevolt_state_of_charge").state == STATE_UNAVAILABLE
    assert sum(sim.requests.values()) <= 4  # not every poll: the back-off is left to run out
    # ...and still refused after the grace: now the owner is asked.
    for _ in range(20):
        await _tick(hass, freezer, 15)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert entry.state is ConfigEntryState.LOADED


async def test_login_back_off_caused_elsewhere_does_not_ask_for_the_password(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim(backoff_base=20.0)
    await setup_entry(hass, entry_for(sim))
    soc = "sensor.homevolt_state_of_charge"
    # Another client (or a second "Add integration") tries a wrong password: the battery
    # locks logins for 20 s (on the frozen test clock), refusing even the right password.
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sim.url}/ems.json",
            headers={"Authorization": aiohttp.encode_basic_auth("admin", "wrong")},
        ) as response,
    ):
        assert response.status == 401
    await _tick(hass, freezer, 15)
    assert hass.states.get(soc).state == STATE_UNAVAILABLE  # refused during the lock
    for _ in range(2):  # the lock runs out; the retry 30 s later logs in with the same password
        await _tick(hass, freezer, 15)
    assert hass.states.get(soc).state != STATE_UNAVAILABLE
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_errors_make_entities_unavailable_then_recover(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    soc = "sensor.homevolt_state_of_charge"
    assert hass.states.get(soc).state != STATE_UNAVAILABLE
    for fault in ("error", "truncate"):
        await control(sim, "faults", {fault: 1.0})
        await _tick(hass, freezer, 15)
        assert hass.states.get(soc).state == STATE_UNAVAILABLE
        await control(sim, "faults", {fault: 0.0})
        await _tick(hass, freezer, 15)
        assert hass.states.get(soc).state != STATE_UNAVAILABLE


async def test_requests_per_hour_at_defaults(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    for _ in range(240):  # one hour of 15 s polls
        await _tick(hass, freezer, 15)
    counts = dict(sim.requests)
    assert counts["GET /ems.json"] == 240
    # The slower endpoints follow their own tiers; the total stays below 60 % of core's 480/h.
    # The simulator's schedule changes at none of these moments: only the 2-minute tier reads it.
    assert counts["GET /schedule.json"] == 30
    assert counts["GET /status.json"] == 12
    assert "GET /error_report.json" not in counts  # nothing an owner sees needs it
    assert counts.get("GET /params.json", 0) <= 1
    assert counts["GET /ota_manifest.json"] == 2
    assert sum(counts.values()) <= 288


async def test_schedule_read_when_its_next_change_is_due(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    # An entry that starts 40 s after set-up: well inside the schedule's 2-minute tier.
    starts = int(dt_util.utcnow().timestamp()) + 40
    sim.system.schedule.append(Entry(id=99, start=starts, end=starts + 3600, type=0))
    await setup_entry(hass, entry_for(sim))
    before = sim.requests["GET /schedule.json"]
    await _tick(hass, freezer, 15)
    await _tick(hass, freezer, 15)
    assert sim.requests["GET /schedule.json"] == before
    await _tick(hass, freezer, 15)  # the entry has started: what runs now is read at once
    assert sim.requests["GET /schedule.json"] == before + 1
    await _tick(hass, freezer, 15)
    assert sim.requests["GET /schedule.json"] == before + 1


async def test_states_written_only_on_change(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    state = hass.states.get("sensor.homevolt_rated_capacity")
    await _tick(hass, freezer, 15)
    # The simulator's clock is frozen: nothing changed, so nothing was written.
    assert hass.states.get("sensor.homevolt_rated_capacity").last_reported == state.last_reported


async def test_new_and_stale_devices(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    sim = await start_sim(units=2)
    entry = await setup_entry(hass, entry_for(sim))

    def names() -> set[str]:
        return {
            device.name or ""
            for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        }

    assert {"Homevolt system", "Homevolt unit 1", "Homevolt unit 2"} <= names()
    assert "Homevolt unit 3" not in names()
    await control(sim, "units", {"count": 3})
    await _tick(hass, freezer, 15)
    assert "Homevolt unit 3" in names()
    third = sim.system.units[2].ecu_hex
    assert entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"{sim.system.units[0].ecu_hex}_unit_{third}_state_of_charge"
    )
    await control(sim, "units", {"count": 2})
    await _tick(hass, freezer, 15)
    # Missing from a poll: its device stays, its entities are unavailable.
    assert {"Homevolt unit 2", "Homevolt unit 3"} <= names()
    third_soc = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"{sim.system.units[0].ecu_hex}_unit_{third}_state_of_charge"
    )
    assert third_soc is not None
    assert hass.states.get(third_soc).state == STATE_UNAVAILABLE


@pytest.mark.parametrize("firmware", ["2025", "2026"])
async def test_device_info(
    hass: HomeAssistant, start_sim: StartSim, device_registry: dr.DeviceRegistry, firmware: str
) -> None:
    sim = await start_sim(firmware=firmware)
    entry = await setup_entry(hass, entry_for(sim))

    def device(identifier: str) -> dr.DeviceEntry | None:
        return device_registry.async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)

    leader = sim.system.units[0]
    ecu_id = leader.ecu_hex  # also when the firmware sends the integer
    unit = device(ecu_id)
    assert unit is not None
    assert unit.name == "Homevolt"
    assert unit.manufacturer == "Tibber"
    assert unit.serial_number == ecu_id
    assert unit.configuration_url == f"{sim.url}/"
    # The firmware versions are here rather than in sensors of their own.
    assert unit.sw_version == ("3056-1a3446ed" if firmware == "2026" else "2811-0b1c2d3e")
    assert unit.hw_version == "Radio 804-4190150b"
    module = device(f"{ecu_id}_module_0")
    assert module is not None
    assert module.via_device_id == unit.id
    assert module.serial_number == leader.modules[0].serial
    grid = device(f"{ecu_id}_grid_a46dd4fffee4dd49")
    assert grid is not None
    assert grid.name == "Homevolt grid sensor"
    assert grid.via_device_id == unit.id


async def test_brand_images_served(hass: HomeAssistant, hass_client: Any) -> None:
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for image in ("icon.png", "logo.png", "icon@2x.png", "dark_logo.png"):
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{image}")
        assert response.status == 200, image
        body = await response.read()
        assert body.startswith(b"\x89PNG"), image


async def test_odd_secondary_endpoint_does_not_take_sensors_down(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    assert hass.states.get("sensor.homevolt_schedule_source").state == "remote"
    # schedule.json starts answering nonsense; ems.json is fine.
    sim.system.schedule_id = 42  # type: ignore[assignment]
    await _tick(hass, freezer, 120)  # schedule.json's tier; a failed read is retried each minute
    assert hass.states.get("sensor.homevolt_state_of_charge").state != STATE_UNAVAILABLE
    assert hass.states.get("sensor.homevolt_schedule_source").state == STATE_UNAVAILABLE
    assert caplog.text.count("Ignoring schedule until it can be read") == 1
    await _tick(hass, freezer, 60)
    assert caplog.text.count("Ignoring schedule until it can be read") == 1
    sim.system.schedule_id = "Manual Schedule"
    await _tick(hass, freezer, 60)
    assert hass.states.get("sensor.homevolt_schedule_source").state == "local"
