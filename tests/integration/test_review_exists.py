"""Entities that come to apply while the devices stay the same are added at that poll.

A load meter back in an empty CT slot (the real capture of a unit whose three slots are empty)
makes no new device, yet brings back the house's power and energy; a status field that appears
brings back its signal sensor. Each is added once, with the entity id a fresh set-up gives it.
"""

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.homevolt_local_api import sensor
from custom_components.homevolt_local_api.const import DOMAIN
from tests.conftest import load_fixture
from tests.integration.conftest import follow_up
from tests.integration.test_lifecycle import (
    LEADER,
    MARTINWELEN,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    capture,
    entities,
    entry_for,
    set_up,
    state,
    tick,
)

SYSTEM = "08d9b843ca48"
HOUSE_ENERGY = f"sensor:{SYSTEM}_system_house_consumed_energy"
HOUSE_POWER = f"sensor:{SYSTEM}_system_house_power"
# The capture's third slot: its lifetime counters are the house's (exported, as the load's are).
LOAD_SLOT = 2


@pytest.fixture(autouse=True)
def _all_entities_enabled(entity_registry_enabled_by_default: None) -> None:
    """Every entity, also those disabled by default, so that none is missed."""


def _empty_slots() -> dict[str, Any]:
    """The real unit's answer: three empty CT slots (no clamp, no load meter)."""
    return capture(MARTINWELEN)


def _with_load_meter(payload: dict[str, Any], power: int) -> dict[str, Any]:
    """The same answer with the load meter back in its slot (the house using `power` W)."""
    edited = copy.deepcopy(payload)
    slot = edited["sensors"][LOAD_SLOT]
    slot.update(type="load", available=True, total_power=-power, timestamp=edited["ts"])
    return edited


async def _set_up(hass: HomeAssistant, device: ScriptedBattery, ems: dict[str, Any]) -> Any:
    device.payloads["/ems.json"] = ems
    device.payloads["/status.json"] = capture(MARTINWELEN, "status.json")
    entry = await set_up(hass, entry_for(device, SYSTEM))
    await follow_up(hass)
    return entry


def _registered(hass: HomeAssistant, unique_id: str) -> list[str]:
    """The entity ids the registry holds for one "platform:unique id"."""
    domain, _, unique = unique_id.partition(":")
    return [
        entity.entity_id
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN and entity.domain == domain and entity.unique_id == unique
    ]


def _shown(hass: HomeAssistant, entity_id: str) -> State:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current


def _no_duplicates(caplog: pytest.LogCaptureFixture) -> None:
    # Home Assistant refuses (and logs) an entity added twice with the same unique id.
    assert "does not generate unique IDs" not in caplog.text
    assert "already exists" not in caplog.text


async def test_a_load_meter_in_an_empty_slot_is_added_at_that_poll(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    empty = _empty_slots()
    entry = await _set_up(hass, battery, empty)
    coordinator = entry.runtime_data.coordinator
    assert HOUSE_ENERGY not in entities(hass, entry)
    assert HOUSE_POWER not in entities(hass, entry)
    devices_before = coordinator.device_identifiers

    battery.payloads["/ems.json"] = _with_load_meter(empty, 1500)
    await tick(hass, freezer, POLL)
    # The same devices, the same running entry (no reload): the entities came with the poll.
    assert coordinator.device_identifiers == devices_before
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is coordinator
    assert float(state(hass, entry, HOUSE_ENERGY)) == pytest.approx(16008.55)
    assert float(state(hass, entry, HOUSE_POWER)) == 1500
    polled = {key: entities(hass, entry)[key] for key in (HOUSE_ENERGY, HOUSE_POWER)}
    _no_duplicates(caplog)

    # A fresh set-up gives them the same ids and shows the same.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert {key: entities(hass, entry)[key] for key in polled} == polled
    assert float(state(hass, entry, HOUSE_ENERGY)) == pytest.approx(16008.55)
    assert float(state(hass, entry, HOUSE_POWER)) == 1500


async def test_a_load_meter_that_comes_and_goes_is_added_once(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    empty = _empty_slots()
    entry = await _set_up(hass, battery, empty)
    battery.payloads["/ems.json"] = _with_load_meter(empty, 1500)
    await tick(hass, freezer, POLL)
    first = entities(hass, entry)
    assert HOUSE_ENERGY in first

    # Empty again: the entities stay, showing nothing as valid (no load meter to read).
    battery.payloads["/ems.json"] = empty
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == first
    assert _shown(hass, first[HOUSE_POWER]).state in (STATE_UNKNOWN, STATE_UNAVAILABLE)

    battery.payloads["/ems.json"] = _with_load_meter(empty, 900)
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == first  # nothing new, no "_2" id beside the first
    for unique_id in (HOUSE_ENERGY, HOUSE_POWER):
        assert _registered(hass, unique_id) == [first[unique_id]]
    assert float(state(hass, entry, HOUSE_POWER)) == 900
    assert float(state(hass, entry, HOUSE_ENERGY)) == pytest.approx(16008.55)
    _no_duplicates(caplog)


async def test_a_load_meter_back_after_a_restart_keeps_its_entity_ids(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    empty = _empty_slots()
    entry = await _set_up(hass, battery, _with_load_meter(empty, 1500))
    before = {key: entities(hass, entry)[key] for key in (HOUSE_ENERGY, HOUSE_POWER)}

    # Set up again while the slot is empty: registered, but not added (nothing to show).
    battery.payloads["/ems.json"] = empty
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)
    assert _shown(hass, before[HOUSE_POWER]).attributes.get("restored")

    battery.payloads["/ems.json"] = _with_load_meter(empty, 700)
    await tick(hass, freezer, POLL)
    for unique_id, entity_id in before.items():
        assert _registered(hass, unique_id) == [entity_id]
        assert not _shown(hass, entity_id).attributes.get("restored")
    assert float(state(hass, entry, HOUSE_POWER)) == 700
    assert float(state(hass, entry, HOUSE_ENERGY)) == pytest.approx(16008.55)
    _no_duplicates(caplog)


async def test_a_signal_that_status_json_starts_to_report_is_added(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    status = load_fixture("status_2026.json")
    without_wifi = copy.deepcopy(status)
    del without_wifi["wifi_status"]["rssi"]
    battery.payloads.update(
        {
            "/ems.json": load_fixture("ems_2026_cluster.json"),
            "/status.json": without_wifi,
            "/schedule.json": load_fixture("schedule_local.json"),
        }
    )
    entry = await set_up(hass, entry_for(battery, LEADER))
    await follow_up(hass)
    wifi = f"sensor:{LEADER}_leader_wifi_signal"
    assert f"sensor:{LEADER}_leader_lte_signal" in entities(hass, entry)
    assert wifi not in entities(hass, entry)

    battery.payloads["/status.json"] = status
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))  # when status.json is read again
    assert float(state(hass, entry, wifi)) == -43


async def test_polls_that_leave_the_layout_as_it_was_build_nothing(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether anything new applies is worked out only when what decides it changed."""
    built: list[int] = []
    build = sensor.build_entities

    def counting(*args: Any, **kwargs: Any) -> Any:
        found = build(*args, **kwargs)
        built.append(len(found))
        return found

    monkeypatch.setattr(sensor, "build_entities", counting)
    empty = _empty_slots()
    entry = await _set_up(hass, battery, empty)
    at_set_up = len(built)
    for power in (100, 200, 300):
        edited = copy.deepcopy(empty)
        edited["ems"][0]["ems_data"]["power"] = power  # the battery's power moves
        battery.payloads["/ems.json"] = edited
        await tick(hass, freezer, POLL)
    assert len(built) == at_set_up
    assert entry.state is ConfigEntryState.LOADED

    battery.payloads["/ems.json"] = _with_load_meter(empty, 1500)
    await tick(hass, freezer, POLL)
    await tick(hass, freezer, POLL)
    assert len(built) == at_set_up + 1  # once, at the poll that brought the load meter
