"""Set-up reads what the entry needs to load; status, parameters and OTA follow right after."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.hostile import HostileProxy
from tests.integration.conftest import START, entry_for, follow_up
from tests.integration.test_hostile import (
    proxy,  # noqa: F401 - the hostile proxy fixture
    sim,  # noqa: F401 - the simulator fixture
)

WIFI = "sensor.homevolt_wi_fi_signal"
CLOUD = "binary_sensor.homevolt_cloud_connection"
MIN_SOC = "number.homevolt_minimum_soc"
FIRMWARE = "update.homevolt_firmware"
SOC = "sensor.homevolt_state_of_charge"


def _local_entry_with_min(payload: Any) -> None:
    """A schedule whose entry says min 15: the unit's parameter (10) is what is in force."""
    payload.update(local_mode=True, schedule_id="Manual Schedule")
    payload["schedule"] = [{"id": 1, "type": 0, "from": int(START.timestamp()), "min": 15}]


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up, without letting any timer run (the follow-up read is one)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


async def test_set_up_reads_only_ems_and_the_schedule(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
) -> None:
    """Two requests until the entry is loaded (core makes two), the rest right after."""
    await _load(hass, entry_for(sim))
    assert dict(sim.requests) == {"GET /ems.json": 1, "GET /schedule.json": 1}
    await follow_up(hass)
    assert dict(sim.requests) == {
        "GET /ems.json": 2,
        "GET /schedule.json": 1,  # not due again: read 2 s before
        "GET /status.json": 1,
        "GET /params.json": 1,
        "GET /ota_manifest.json": 1,
    }


async def test_what_follows_is_unknown_until_read_never_wrong(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
    device_registry: dr.DeviceRegistry,
) -> None:
    proxy.mutations["/schedule.json"] = _local_entry_with_min
    shown: list[str] = []

    def record(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == MIN_SOC and (state := event.data["new_state"]):
            shown.append(state.state)

    hass.bus.async_listen("state_changed", record)
    entry = entry_for(sim, **{CONF_HOST: proxy.url})
    await _load(hass, entry)
    assert hass.states.get(SOC) is not None
    # status.json's entities appear when it is read; the parameter is not yet known, so the
    # schedule's 15 is not shown in its place.
    for entity_id in (WIFI, CLOUD, FIRMWARE):
        assert hass.states.get(entity_id) is None, entity_id
    assert hass.states.get(MIN_SOC).state == STATE_UNKNOWN
    unit = device_registry.async_get_device_by_identifier(
        (DOMAIN, sim.system.units[0].ecu_hex), entry.entry_id
    )
    assert unit is not None
    assert unit.hw_version is None  # the radio's firmware comes with status.json

    await follow_up(hass)
    assert float(hass.states.get(WIFI).state) < 0
    assert hass.states.get(CLOUD).state in ("on", "off")
    assert hass.states.get(FIRMWARE) is not None
    assert float(hass.states.get(MIN_SOC).state) == 10
    assert shown == [STATE_UNKNOWN, "10.0"]  # never the schedule's 15
    unit = device_registry.async_get(unit.id)
    assert unit is not None
    assert unit.sw_version == "3056-1a3446ed"  # the ESP's firmware, from status.json
    assert unit.hw_version == "Radio 804-4190150b"


async def test_minimum_soc_set_before_the_parameters_are_read_goes_to_the_parameter(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
) -> None:
    proxy.mutations["/schedule.json"] = _local_entry_with_min
    await _load(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    assert hass.states.get(MIN_SOC).state == STATE_UNKNOWN
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: MIN_SOC, ATTR_VALUE: 30}, blocking=True
    )
    assert sim.system.params["battery_min_soc"].value == [30]
    assert proxy.requests["POST /schedule.json"] == 0  # nothing written to the schedule
    assert float(hass.states.get(MIN_SOC).state) == 30


async def test_status_entities_added_when_status_reads_well_later(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    """status.json failing at the follow-up: its entities come when it reads well again."""
    proxy.faults["/status.json"] = "500"
    await _load(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    await follow_up(hass)
    assert proxy.requests["GET /status.json"] == 1
    assert hass.states.get(WIFI) is None
    assert hass.states.get(SOC).state != STATE_UNKNOWN
    del proxy.faults["/status.json"]
    for _ in range(4):  # a failed read is tried again after a minute
        freezer.tick(timedelta(seconds=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert proxy.requests["GET /status.json"] == 2
    assert float(hass.states.get(WIFI).state) < 0
    assert hass.states.get(CLOUD) is not None


async def test_minimum_soc_set_while_the_parameters_fail_writes_nothing(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
) -> None:
    """Where the minimum is kept is not known: the schedule is not written in its place."""
    proxy.mutations["/schedule.json"] = _local_entry_with_min
    proxy.faults["/params.json"] = "500"
    await _load(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    await follow_up(hass)
    assert hass.states.get(MIN_SOC).state == STATE_UNKNOWN
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: MIN_SOC, ATTR_VALUE: 30}, blocking=True
        )
    assert raised.value.translation_domain == DOMAIN
    assert not [kind for kind in proxy.requests if kind.startswith("POST")]
    assert sim.system.params["battery_min_soc"].value == [10]
