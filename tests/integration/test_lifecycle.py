"""Systems that change: units, modules and clamps that come and go, ids that change form with a
firmware update, real payloads, and counters that must never go back.

Each test talks over loopback HTTP to a scripted battery that answers with the payload the test
set for that poll (real captures, or the vendor's sample, edited per poll).
"""

from collections.abc import AsyncIterator
import copy
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homevolt_local_api.api.models import parse_error_report
from custom_components.homevolt_local_api.const import DOMAIN, STALE_DEVICE_AFTER
from tests.conftest import load_fixture

CAPTURES = Path(__file__).parents[1] / "fixtures" / "captures"
JOHNAN = "johnan-ems-example-2025-05"
MARTINWELEN = "martinwelen-2026-02-13"
STEYNOVICH = "steynovich-2026-10-error-report"

# The vendor's documented-firmware sample: leader 68b6b34cda94, follower 188b0ec6106c.
LEADER = "68b6b34cda94"
FOLLOWER = "188b0ec6106c"
THIRD = "188b0ec6106d"


def capture(name: str, file: str = "ems.json") -> Any:
    """A real device's payload, verbatim."""
    return json.loads((CAPTURES / name / file).read_text())


def three_units() -> dict[str, Any]:
    """The vendor's two-unit sample with a second follower."""
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    third = copy.deepcopy(payload["ems"][1])
    third["ecu_id"] = THIRD
    payload["ems"].append(third)
    return payload


def without_units(payload: dict[str, Any], *ecu_ids: str) -> dict[str, Any]:
    """The payload of a poll that did not report these units."""
    edited = copy.deepcopy(payload)
    edited["ems"] = [unit for unit in edited["ems"] if unit["ecu_id"] not in ecu_ids]
    return edited


def as_documented_firmware(payload: dict[str, Any]) -> dict[str, Any]:
    """The same units after a firmware update that sends ids as hex text."""
    edited = copy.deepcopy(payload)
    for unit in edited["ems"]:
        unit["ecu_id"] = f"{unit['ecu_id']:012x}"
    return edited


class ScriptedBattery:
    """Answers each path with what the test set for it now; 404 for anything else."""

    def __init__(self) -> None:
        self.payloads: dict[str, Any] = {}
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        payload = self.payloads.get(request.path)
        if payload is None:
            return web.Response(status=404)
        return web.json_response(payload)


@pytest.fixture
async def battery() -> AsyncIterator[ScriptedBattery]:
    device = ScriptedBattery()
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", device.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)  # its clock trips over the frozen one
    device.url = str(server.make_url("/")).rstrip("/")
    yield device
    await server.close()


def entry_for(battery: ScriptedBattery, unique_id: str, **kwargs: Any) -> MockConfigEntry:
    kwargs.setdefault("minor_version", 2)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Homevolt",
        unique_id=unique_id,
        data={CONF_HOST: battery.url, CONF_PASSWORD: None},
        **kwargs,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


POLL = timedelta(seconds=15)


def entities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """ "platform:unique id" -> entity id of every registered entity of the entry."""
    registry = er.async_get(hass)
    return {
        f"{entity.domain}:{entity.unique_id}": entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


def devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Our identifier -> registry id of every device of the entry."""
    registry = dr.async_get(hass)
    return {
        value: device.id
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        for domain, value in device.identifiers
        if domain == DOMAIN
    }


def device_names(hass: HomeAssistant) -> dict[str, str | None]:
    """Registry id -> name of every device."""
    return {device.id: device.name for device in dr.async_get(hass).devices}


def unavailable(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Unique ids of the entry's entities that are unavailable (or have no state)."""
    found = set()
    for unique_id, entity_id in entities(hass, entry).items():
        state = hass.states.get(entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            found.add(unique_id)
    return found


def of_unit(ecu_id: str, unique_ids: set[str] | dict[str, str]) -> set[str]:
    """The unique ids of a unit's own entities (and its modules')."""
    return {unique_id for unique_id in unique_ids if f"_unit_{ecu_id}_" in unique_id}


def state(hass: HomeAssistant, entry: MockConfigEntry, unique_id: str) -> str:
    entity_id = entities(hass, entry)[unique_id]
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


@pytest.fixture(autouse=True)
def _all_entities_enabled(entity_registry_enabled_by_default: None) -> None:
    """Every entity, also those disabled by default, so that none is missed."""


# --------------------------------------------------------------------------------------------
# Units that come and go


async def test_unit_missing_for_a_poll(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts, names = entities(hass, entry), devices(hass, entry), device_names(hass)
    assert of_unit(FOLLOWER, registered)
    gone_before = unavailable(hass, entry)

    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)
    # Nothing is removed or renamed; only the missing unit's own entities are unavailable.
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert device_names(hass) == names
    assert unavailable(hass, entry) == gone_before | of_unit(FOLLOWER, registered)
    assert state(hass, entry, f"sensor:{LEADER}_system_state_of_charge") != STATE_UNAVAILABLE

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == registered
    assert device_names(hass) == names
    assert unavailable(hass, entry) == gone_before


async def test_module_missing_for_a_poll(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts = entities(hass, entry), devices(hass, entry)
    second = {unique_id for unique_id in registered if f"_unit_{LEADER}_module_1_" in unique_id}
    assert second
    gone_before = unavailable(hass, entry)

    fewer = copy.deepcopy(payload)
    del fewer["ems"][0]["bms_data"][1]
    battery.payloads["/ems.json"] = fewer
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before | second

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert unavailable(hass, entry) == gone_before


async def test_unit_gone_for_long_is_removed_then_comes_back(
    hass: HomeAssistant,
    battery: ScriptedBattery,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts = entities(hass, entry), devices(hass, entry)
    system_charged = f"sensor:{LEADER}_system_battery_charged_energy"
    charged = state(hass, entry, system_charged)
    third_parts = {identifier for identifier in parts if identifier.startswith(THIRD)}
    assert third_parts == {THIRD, f"{THIRD}_module_0", f"{THIRD}_module_1"}

    battery.payloads["/ems.json"] = without_units(payload, THIRD)
    await tick(hass, freezer, POLL)
    await tick(hass, freezer, STALE_DEVICE_AFTER - timedelta(minutes=1))
    assert devices(hass, entry) == parts  # not yet

    await tick(hass, freezer, timedelta(minutes=2))
    # Gone for good: its devices and entities leave the registries, nothing else does.
    assert devices(hass, entry).keys() == parts.keys() - third_parts
    assert entities(hass, entry).keys() == registered.keys() - of_unit(THIRD, registered)
    assert "remove_config_entry_id" not in caplog.text  # the 2026.10 way, not deprecated
    # The system's total lost a unit for good: it counts on, neither lower nor booked again.
    assert state(hass, entry, system_charged) == charged

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert devices(hass, entry).keys() == parts.keys()
    assert entities(hass, entry).keys() == registered.keys()
    assert not of_unit(THIRD, unavailable(hass, entry))


async def test_time_away_counts_across_a_restart(
    hass: HomeAssistant,
    battery: ScriptedBattery,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    battery.payloads["/ems.json"] = without_units(payload, THIRD)
    await tick(hass, freezer, POLL)
    await tick(hass, freezer, timedelta(days=4))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert THIRD in devices(hass, entry)
    await tick(hass, freezer, STALE_DEVICE_AFTER - timedelta(days=4))
    assert THIRD not in devices(hass, entry)
    # What the entry stored goes with it.
    key = f"{DOMAIN}.{entry.entry_id}.missing_devices"
    assert key in hass_storage
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_owner_deletes_only_a_device_that_is_gone(
    hass: HomeAssistant,
    battery: ScriptedBattery,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: Any,
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    registered = entities(hass, entry)

    async def delete(identifier: str) -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove",
                "device_id": devices(hass, entry)[identifier],
            }
        )
        response = await client.receive_json()
        return bool(response["success"])

    assert not await delete(THIRD)  # still reported
    battery.payloads["/ems.json"] = without_units(payload, THIRD)
    await tick(hass, freezer, POLL)
    assert await delete(THIRD)
    await hass.async_block_till_done()
    assert THIRD not in devices(hass, entry)
    assert not of_unit(THIRD, entities(hass, entry))

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert THIRD in devices(hass, entry)
    assert entities(hass, entry).keys() == registered.keys()


async def test_cluster_shrinks_to_one_unit_and_grows_back(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts = entities(hass, entry), devices(hass, entry)
    system_soc = f"sensor:{LEADER}_system_state_of_charge"
    system_device = er.async_get(hass).async_get(registered[system_soc])
    assert system_device is not None
    assert system_device.device_id == parts[f"{LEADER}_system"]
    gone_before = unavailable(hass, entry)
    followers = of_unit(FOLLOWER, registered) | of_unit(THIRD, registered)

    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER, THIRD)
    await tick(hass, freezer, POLL)
    # Still a cluster: the system device and its entities stay where they are.
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before | followers
    assert state(hass, entry, system_soc) != STATE_UNAVAILABLE

    # Also after a restart while only one unit answers; and one while the first follower is
    # missing does not renumber the second.
    names = device_names(hass)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    # Known as a cluster from its registered system device alone: nothing is renamed.
    assert device_names(hass) == names
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert device_names(hass) == names
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER, THIRD)
    entry_of_soc = er.async_get(hass).async_get(registered[system_soc])
    assert entry_of_soc is not None
    assert entry_of_soc.device_id == parts[f"{LEADER}_system"]

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before


async def test_single_unit_becomes_a_cluster(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER, THIRD)
    entry = await set_up(hass, entry_for(battery, LEADER))
    system_soc = f"sensor:{LEADER}_system_state_of_charge"
    entity_id = entities(hass, entry)[system_soc]

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    # The totals move to the new system device under the same entity id.
    moved = er.async_get(hass).async_get(entity_id)
    assert moved is not None
    assert moved.unique_id == f"{LEADER}_system_state_of_charge"
    assert moved.device_id == devices(hass, entry)[f"{LEADER}_system"]
    leader = dr.async_get(hass).async_get(devices(hass, entry)[LEADER])
    assert leader is not None
    assert leader.via_device_id == devices(hass, entry)[f"{LEADER}_system"]
    assert leader.name == "Homevolt unit 1"
    assert of_unit(THIRD, entities(hass, entry))
    assert not unavailable(hass, entry) & {system_soc, *of_unit(THIRD, entities(hass, entry))}


# --------------------------------------------------------------------------------------------
# CT clamps


async def test_clamp_changes_role_and_back(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload = as_documented_firmware(capture(JOHNAN))
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, "34d9b843ca48"))
    registered, parts = entities(hass, entry), devices(hass, entry)
    solar = "34d9b843ca48_solar_a46dd4fffea2561b"
    solar_entities = {unique_id for unique_id in registered if f":{solar}_" in unique_id}
    assert len(solar_entities) == 18
    gone_before = unavailable(hass, entry)

    unassigned = copy.deepcopy(payload)
    next(s for s in unassigned["sensors"] if s["type"] == "solar")["type"] = "unspecified"
    battery.payloads["/ems.json"] = unassigned
    await tick(hass, freezer, POLL)
    # The solar clamp's entities wait, unavailable; nothing of the solar clamp is removed.
    assert solar in devices(hass, entry)
    assert registered.keys() <= entities(hass, entry).keys()
    assert solar_entities <= unavailable(hass, entry)

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert devices(hass, entry).keys() >= parts.keys()
    assert registered.keys() <= entities(hass, entry).keys()
    assert not solar_entities & unavailable(hass, entry)
    assert unavailable(hass, entry) & registered.keys() == gone_before


# --------------------------------------------------------------------------------------------
# Identity across firmware


async def test_firmware_update_changes_the_id_form(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload = capture(JOHNAN)  # integer ids: 58109703998024 and 171913485994568
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, "34d9b843ca48"))
    registered, parts = entities(hass, entry), devices(hass, entry)
    gone_before = unavailable(hass, entry)

    battery.payloads["/ems.json"] = as_documented_firmware(payload)
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before
    assert {"34d9b843ca48", "9c5aba43ca48", "34d9b843ca48_system"} <= parts.keys()


async def test_registry_of_an_earlier_version_is_migrated(
    hass: HomeAssistant, battery: ScriptedBattery
) -> None:
    # An entry, devices and entities made by an earlier version from integer ids.
    entry = entry_for(battery, "58109703998024", minor_version=1)
    entry.add_to_hass(hass)
    device_registry, entity_registry = dr.async_get(hass), er.async_get(hass)
    old_devices = {
        identifier: device_registry.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, identifier)}
        ).id
        for identifier in (
            "58109703998024",
            "58109703998024_system",
            "171913485994568",
            "171913485994568_module_0",
            "58109703998024_grid_a46dd4fffea25015",
        )
    }
    old_entities = {
        unique_id: entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=old_devices[device],
            suggested_object_id=object_id,
        ).entity_id
        for unique_id, device, object_id in (
            (
                "58109703998024_system_state_of_charge",
                "58109703998024_system",
                "homevolt_system_state_of_charge",
            ),
            (
                "58109703998024_unit_171913485994568_state_of_charge",
                "171913485994568",
                "homevolt_unit_2_state_of_charge",
            ),
            (
                "58109703998024_unit_171913485994568_module_0_cycle_count",
                "171913485994568_module_0",
                "homevolt_unit_2_module_1_cycle_count",
            ),
            (
                "58109703998024_grid_a46dd4fffea25015_power",
                "58109703998024_grid_a46dd4fffea25015",
                "grid_sensor_power",
            ),
        )
    }
    # The firmware was updated meanwhile: the battery now sends hex.
    battery.payloads["/ems.json"] = as_documented_firmware(capture(JOHNAN))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.unique_id, entry.minor_version) == ("34d9b843ca48", 2)

    # Same devices and entity ids, new ids; nothing made twice.
    now = devices(hass, entry)
    for identifier, device_id in old_devices.items():
        parts = identifier.split("_")
        parts[0] = f"{int(parts[0]):012x}"
        assert now["_".join(parts)] == device_id
    registered = entities(hass, entry)
    assert {
        "sensor:34d9b843ca48_system_state_of_charge": old_entities[
            "58109703998024_system_state_of_charge"
        ],
        "sensor:34d9b843ca48_unit_9c5aba43ca48_state_of_charge": old_entities[
            "58109703998024_unit_171913485994568_state_of_charge"
        ],
        "sensor:34d9b843ca48_unit_9c5aba43ca48_module_0_cycle_count": old_entities[
            "58109703998024_unit_171913485994568_module_0_cycle_count"
        ],
        "sensor:34d9b843ca48_grid_a46dd4fffea25015_power": old_entities[
            "58109703998024_grid_a46dd4fffea25015_power"
        ],
    }.items() <= registered.items()
    assert not [unique_id for unique_id in registered if "58109703998024" in unique_id]
    assert not [entity_id for entity_id in registered.values() if entity_id.endswith("_2")]

    # Reconfigure and reauth recognise the battery.
    for start in (entry.start_reconfigure_flow, entry.start_reauth_flow):
        result = await start(hass)
        reconfigure = result["step_id"] == "reconfigure"
        user_input = {CONF_HOST: battery.url} if reconfigure else {}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
        assert result["reason"] in ("reconfigure_successful", "reauth_successful")
        await hass.async_block_till_done()


# --------------------------------------------------------------------------------------------
# Real payloads


async def test_real_cluster_capture_2025(
    hass: HomeAssistant, battery: ScriptedBattery, caplog: pytest.LogCaptureFixture
) -> None:
    battery.payloads["/ems.json"] = capture(JOHNAN)
    entry = await set_up(hass, entry_for(battery, "34d9b843ca48"))
    # The self-test of a two-unit leader (trimmed, as published): not polled, but it parses.
    report = parse_error_report(capture(STEYNOVICH, "error_report.json"))
    assert len(report) == 9
    assert [item.name for item in report if item.active] == [
        item["error_name"]
        for item in capture(STEYNOVICH, "error_report.json")
        if item["activated"] != "ok"
    ]
    assert set(devices(hass, entry)) == {
        "34d9b843ca48_system",
        "34d9b843ca48",
        "34d9b843ca48_module_0",
        "9c5aba43ca48",
        "9c5aba43ca48_module_0",
        "34d9b843ca48_grid_a46dd4fffea25015",
        "34d9b843ca48_solar_a46dd4fffea2561b",
    }
    # The follower in fault (only ems_data.state_str says so) reads as faulted.
    assert state(hass, entry, "binary_sensor:34d9b843ca48_unit_9c5aba43ca48_fault") == "on"
    assert state(hass, entry, "binary_sensor:34d9b843ca48_unit_34d9b843ca48_fault") == "off"
    assert float(state(hass, entry, "sensor:34d9b843ca48_system_grid_power")) == 3148
    assert float(state(hass, entry, "sensor:34d9b843ca48_system_house_power")) == 3139
    assert float(state(hass, entry, "sensor:34d9b843ca48_system_battery_power")) == -9
    assert (
        float(state(hass, entry, "sensor:34d9b843ca48_unit_34d9b843ca48_state_of_charge")) == 24.37
    )
    discharged = float(state(hass, entry, "sensor:34d9b843ca48_system_battery_discharged_energy"))
    assert discharged == pytest.approx(384.670 + 233.441)
    assert "does not generate unique IDs" not in caplog.text
    assert "already exists" not in caplog.text


async def test_real_single_unit_capture_2026_without_clamps(
    hass: HomeAssistant, battery: ScriptedBattery, caplog: pytest.LogCaptureFixture
) -> None:
    for file in ("ems.json", "status.json", "error_report.json"):
        battery.payloads[f"/{file}"] = capture(MARTINWELEN, file)
    entry = await set_up(hass, entry_for(battery, "08d9b843ca48"))
    # Three empty CT slots: no clamp, no phantom device, no duplicate unique id.
    assert set(devices(hass, entry)) == {
        "08d9b843ca48",
        "08d9b843ca48_module_0",
        "08d9b843ca48_module_1",
    }
    registered = entities(hass, entry)
    assert not [unique_id for unique_id in registered if "0000000000000000" in unique_id]
    assert "does not generate unique IDs" not in caplog.text
    assert "already exists" not in caplog.text
    assert state(hass, entry, "sensor:08d9b843ca48_system_state_of_charge") == "0.0"
    assert state(hass, entry, "binary_sensor:08d9b843ca48_unit_08d9b843ca48_fault") == "off"
    assert float(state(hass, entry, "sensor:08d9b843ca48_unit_08d9b843ca48_temperature")) == 4.6
    assert float(state(hass, entry, "sensor:08d9b843ca48_system_battery_discharged_energy")) == (
        pytest.approx(3777.576)
    )
    # No clamp: no grid or solar figures are made up.
    assert "08d9b843ca48_system_grid_power" not in registered
    assert "08d9b843ca48_system_solar_produced_energy" not in registered


# --------------------------------------------------------------------------------------------
# Energy counters


async def test_unit_without_ems_data_keeps_its_counter_source(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    unit_counter = f"sensor:{LEADER}_unit_{FOLLOWER}_battery_discharged_energy"
    system_counter = f"sensor:{LEADER}_system_battery_discharged_energy"
    assert float(state(hass, entry, unit_counter)) == pytest.approx(1634.915)

    faulted = copy.deepcopy(payload)
    follower = faulted["ems"][1]
    follower["error"], follower["op_state_str"] = 3, "fault"
    del follower["ems_data"]  # ems_aggregate says 1211.98 kWh: another counter
    battery.payloads["/ems.json"] = faulted
    await tick(hass, freezer, POLL)
    assert state(hass, entry, unit_counter) == STATE_UNKNOWN
    # The system's total counts on without it (its energy meanwhile is counted when it is back).
    assert float(state(hass, entry, system_counter)) == pytest.approx(3602.110 + 1634.915)

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, unit_counter)) == pytest.approx(1634.915)


async def test_counter_read_from_another_source_with_the_same_number(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    unit_counter = f"sensor:{LEADER}_unit_{FOLLOWER}_battery_discharged_energy"
    assert float(state(hass, entry, unit_counter)) == pytest.approx(1634.915)

    # The same reading, now from ems_aggregate: only where it comes from changed.
    other = copy.deepcopy(payload)
    follower = other["ems"][1]
    del follower["ems_data"]["energy_produced"], follower["ems_data"]["energy_consumed"]
    follower["ems_aggregate"] = {"imported_kwh": 1634.915, "exported_kwh": 2126.913}
    battery.payloads["/ems.json"] = other
    await tick(hass, freezer, POLL)
    assert state(hass, entry, unit_counter) == STATE_UNKNOWN

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, unit_counter)) == pytest.approx(1634.915)


async def test_counter_never_published_lower(
    hass: HomeAssistant,
    battery: ScriptedBattery,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    counter = f"sensor:{LEADER}_unit_{LEADER}_battery_discharged_energy"
    assert float(state(hass, entry, counter)) == pytest.approx(3602.110)

    lower = copy.deepcopy(payload)
    lower["ems"][0]["ems_data"]["energy_produced"] = 3600000
    battery.payloads["/ems.json"] = lower
    for _ in range(3):
        await tick(hass, freezer, POLL)
        assert state(hass, entry, counter) == STATE_UNKNOWN
    assert caplog.text.count("lower than the 3602.11 shown before") == 1

    # A restart does not forget what was shown.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, counter) == STATE_UNKNOWN

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, counter)) == pytest.approx(3602.110)


async def test_counter_lower_for_long_is_a_reset(
    hass: HomeAssistant, battery: ScriptedBattery, freezer: FrozenDateTimeFactory
) -> None:
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    counter = f"sensor:{LEADER}_unit_{LEADER}_battery_discharged_energy"
    lower = copy.deepcopy(payload)
    lower["ems"][0]["ems_data"]["energy_produced"] = 1000
    battery.payloads["/ems.json"] = lower
    await tick(hass, freezer, POLL)
    assert state(hass, entry, counter) == STATE_UNKNOWN
    await tick(hass, freezer, STALE_DEVICE_AFTER)
    assert float(state(hass, entry, counter)) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# The repair issue goes with its entry


async def test_repair_issue_goes_with_its_entry(
    hass: HomeAssistant, battery: ScriptedBattery
) -> None:
    battery.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    battery.payloads["/schedule.json"] = load_fixture("schedule_remote.json")
    entry = await set_up(hass, entry_for(battery, LEADER))
    select = entities(hass, entry)[f"select:{LEADER}_system_battery_mode_control"]
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": select, "option": "idle"},
            blocking=True,
        )
    issues = ir.async_get(hass)
    issue_id = f"local_mode_off_{entry.entry_id}"
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, issue_id) is None
