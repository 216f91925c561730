"""Hostile systems for the lifecycle work: scripted batteries that flap, swap, reset and leave.

Each test talks over loopback HTTP to a scripted battery (see test_lifecycle) that answers each
poll with what the test set for it.
"""

import copy
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PASSWORD, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from tests.conftest import load_fixture
from tests.integration.test_lifecycle import (
    FOLLOWER,
    JOHNAN,
    LEADER,
    MARTINWELEN,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    capture,
    device_names,
    devices,
    entities,
    entry_for,
    set_up,
    state,
    three_units,
    tick,
    unavailable,
    without_units,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

SYSTEM_CHARGED = f"sensor:{LEADER}_system_battery_charged_energy"


def our_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings this integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components")
    ]


# --------------------------------------------------------------------------------------------
# The entry's own storage


async def test_removing_the_entry_while_a_unit_is_missing_leaves_no_store(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)  # the time away is about to be saved
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, timedelta(minutes=1))
    assert f"{DOMAIN}.{entry.entry_id}.missing_devices" not in hass_storage


# --------------------------------------------------------------------------------------------
# Units that come and go

SYSTEM_TOTALS = (
    "state_of_charge",
    "battery_power",
    "usable_capacity",
    "rated_capacity",
    "available_discharge_energy",
    "available_charge_power",
)


async def test_system_totals_are_unknown_while_a_unit_is_missing(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # Two thirds of the capacity or power is not the system's: it must not read as valid.
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    shown = {key: state(hass, entry, f"sensor:{LEADER}_system_{key}") for key in SYSTEM_TOTALS}
    assert STATE_UNKNOWN not in shown.values()

    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)
    for key in SYSTEM_TOTALS:
        assert state(hass, entry, f"sensor:{LEADER}_system_{key}") == STATE_UNKNOWN, key
    # Also after a restart while it is away.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for key in SYSTEM_TOTALS:
        assert state(hass, entry, f"sensor:{LEADER}_system_{key}") == STATE_UNKNOWN, key

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert {
        key: state(hass, entry, f"sensor:{LEADER}_system_{key}") for key in SYSTEM_TOTALS
    } == shown


async def test_follower_flapping_for_an_hour(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts = entities(hass, entry), devices(hass, entry)
    charged = state(hass, entry, SYSTEM_CHARGED)
    for poll in range(240):
        battery.payloads["/ems.json"] = payload if poll % 2 else without_units(payload, FOLLOWER)
        await tick(hass, freezer, POLL)
        assert state(hass, entry, SYSTEM_CHARGED) == charged  # held, never lower or unknown
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert state(hass, entry, f"sensor:{LEADER}_unit_{FOLLOWER}_state_of_charge") != (
        STATE_UNAVAILABLE
    )
    # A unit that comes and goes is no cause for 240 warnings in the log.
    assert our_warnings(caplog) == []


def leadership_swapped(payload: dict[str, Any]) -> dict[str, Any]:
    """The same two units after the follower took over as the cluster's leader."""
    edited = copy.deepcopy(payload)
    old_leader, old_follower = edited["ems"]
    old_leader["ecu_host"], old_leader["peer"] = old_follower["ecu_host"], old_follower["peer"]
    old_follower["ecu_host"] = ""
    del old_follower["peer"]
    edited["ems"] = [old_follower, old_leader]
    return edited


async def test_units_swap_leadership(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts, names = entities(hass, entry), devices(hass, entry), device_names(hass)
    gone_before = unavailable(hass, entry)

    battery.payloads["/ems.json"] = leadership_swapped(payload)
    await tick(hass, freezer, POLL)
    assert entry.runtime_data.coordinator.data.ems.leader.ecu_id == FOLLOWER
    # Same system: nothing made again, nothing renamed, nothing left unavailable.
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert device_names(hass) == names
    assert unavailable(hass, entry) == gone_before
    assert state(hass, entry, f"sensor:{LEADER}_system_state_of_charge") != STATE_UNKNOWN

    # Also after a restart.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before


async def test_config_flows_after_a_leadership_swap(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reconfigure and reauth still know the system by the id it was set up with."""
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    battery.payloads["/ems.json"] = leadership_swapped(payload)
    await tick(hass, freezer, POLL)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: battery.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()

    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert entry.unique_id == LEADER


async def test_power_bounds_stay_while_a_unit_is_missing(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    battery.payloads["/schedule.json"] = load_fixture("schedule_local.json")
    await set_up(hass, entry_for(battery, LEADER))
    number = "number.homevolt_system_max_charge"
    assert hass.states.get(number).state != STATE_UNAVAILABLE
    whole = hass.states.get(number).attributes["max"]
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)
    assert hass.states.get(number).attributes["max"] == whole


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda hex_id: int(hex_id, 16), id="integer"),
        pytest.param(str.upper, id="upper-case hex"),
        pytest.param(lambda hex_id: f"0x{hex_id}", id="0x hex"),
    ],
)
async def test_unit_comes_back_with_another_id_form(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    form: Any,
) -> None:
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    registered, parts = entities(hass, entry), devices(hass, entry)
    gone_before = unavailable(hass, entry)
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)
    other_form = copy.deepcopy(payload)
    other_form["ems"][1]["ecu_id"] = form(FOLLOWER)
    battery.payloads["/ems.json"] = other_form
    await tick(hass, freezer, POLL)
    assert entities(hass, entry) == registered
    assert devices(hass, entry) == parts
    assert unavailable(hass, entry) == gone_before


# --------------------------------------------------------------------------------------------
# Energy counters: what a real meter does, and what the Energy dashboard books


def cluster() -> dict[str, Any]:
    """The vendor's two-unit sample (documented firmware)."""
    payload: dict[str, Any] = load_fixture("ems_2026_cluster.json")
    return payload


def with_energy(payload: dict[str, Any], unit: int, wh: int) -> dict[str, Any]:
    """The payload with one unit's discharged-energy counter (Wh) set."""
    edited = copy.deepcopy(payload)
    edited["ems"][unit]["ems_data"]["energy_produced"] = wh
    return edited


UNIT_DISCHARGED = f"sensor:{LEADER}_unit_{LEADER}_battery_discharged_energy"
SYSTEM_DISCHARGED = f"sensor:{LEADER}_system_battery_discharged_energy"


async def test_rounding_dip_holds_the_counter(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A meter read as a float jitters by its last digit: the Energy dashboard needs no gap and
    # no warning for it, only a value that never goes back.
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    grid = f"sensor:{LEADER}_system_grid_imported_energy"
    assert float(state(hass, entry, grid)) == pytest.approx(8337.99)
    dip = with_energy(payload, 0, 3602110 - 1)  # a Wh counter one down
    next(s for s in dip["sensors"] if s["function"] == "grid")["energy_imported"] = 8337.989
    for _ in range(20):  # jitter for five minutes
        for each in (dip, payload):
            battery.payloads["/ems.json"] = each
            await tick(hass, freezer, POLL)
            assert float(state(hass, entry, grid)) == pytest.approx(8337.99)
            assert float(state(hass, entry, UNIT_DISCHARGED)) == pytest.approx(3602.110)
    assert our_warnings(caplog) == []


async def test_cluster_grows_books_no_phantom_energy(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # An owner adds a second unit: its lifetime counter is not energy of this system's last poll.
    payload = cluster()
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    entry = await set_up(hass, entry_for(battery, LEADER))
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(3602.110)

    battery.payloads["/ems.json"] = payload  # the follower has 1634.915 kWh of its own
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(3602.110)
    follower_more = with_energy(payload, 1, 1634915 + 500)
    battery.payloads["/ems.json"] = with_energy(follower_more, 0, 3602110 + 250)
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(3602.110 + 0.75)


async def test_clamps_swap_roles_book_no_phantom_energy(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # The installer swaps which clamp is the grid's and which the solar's: the grid clamp's
    # lifetime import is not solar produced in the last 15 s.
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    grid = f"sensor:{LEADER}_system_grid_imported_energy"
    solar = f"sensor:{LEADER}_system_solar_produced_energy"
    assert float(state(hass, entry, grid)) == pytest.approx(8337.99)
    assert float(state(hass, entry, solar)) == pytest.approx(13292.32)

    swapped = copy.deepcopy(payload)
    for sensor in swapped["sensors"]:
        if sensor["function"] in ("grid", "solar"):
            sensor["function"] = "solar" if sensor["function"] == "grid" else "grid"
    battery.payloads["/ems.json"] = swapped
    await tick(hass, freezer, POLL)
    shown = {each: state(hass, entry, each) for each in (grid, solar)}
    assert shown[solar] in (STATE_UNKNOWN, "13292.32")
    assert shown[grid] in (STATE_UNKNOWN, "8337.99")

    # From now on each counts what its new clamp adds.
    more = copy.deepcopy(swapped)
    for sensor in more["sensors"]:
        sensor["energy_imported"] += {"grid": 1.0, "solar": 2.0}.get(sensor["function"], 0)
    battery.payloads["/ems.json"] = more
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, grid)) == pytest.approx(8337.99 + 1.0)
    assert float(state(hass, entry, solar)) == pytest.approx(13292.32 + 2.0)


async def test_unit_counter_reset_by_a_firmware_update(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    system_before = float(state(hass, entry, SYSTEM_DISCHARGED))

    # The leader's counter starts again from zero (or reads zero while it boots).
    battery.payloads["/ems.json"] = with_energy(payload, 0, 0)
    await tick(hass, freezer, POLL)
    assert state(hass, entry, UNIT_DISCHARGED) == STATE_UNKNOWN
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system_before)
    # A zero read while booting, then the counter as before: nothing is booked.
    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, UNIT_DISCHARGED)) == pytest.approx(3602.110)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system_before)

    # A real restart: it stays low and counts up from zero.
    battery.payloads["/ems.json"] = with_energy(payload, 0, 0)
    await tick(hass, freezer, POLL)
    battery.payloads["/ems.json"] = with_energy(payload, 0, 2000)
    await tick(hass, freezer, timedelta(hours=1))
    await tick(hass, freezer, POLL)
    # Within an hour, not a week: the unit's counter is a new cycle, the system's counts on.
    assert float(state(hass, entry, UNIT_DISCHARGED)) == pytest.approx(2.0)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system_before + 2.0)
    battery.payloads["/ems.json"] = with_energy(payload, 0, 3000)
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, UNIT_DISCHARGED)) == pytest.approx(3.0)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system_before + 3.0)
    # One warning per drop of each counter, and one for the restart.
    assert len(our_warnings(caplog)) == 5


async def test_system_counter_counts_on_across_restarts(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    before = float(state(hass, entry, SYSTEM_DISCHARGED))

    # A restart while the follower is away; it comes back having discharged 0.5 kWh meanwhile.
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(before)
    battery.payloads["/ems.json"] = with_energy(payload, 1, 1634915 + 500)
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(before + 0.5)


# --------------------------------------------------------------------------------------------
# Ids of earlier versions


async def test_migration_of_decimal_ids_that_read_as_hex(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
) -> None:
    # Unit ids below 0x00e8d4a51000 have 12 decimal digits or fewer: as stored by an earlier
    # version ("935099353672" for 00d9b843ca48) they read as hex too. Only the battery can tell.
    leader, follower = 0x00D9B843CA48, 0x009C5ABA43CA
    assert (str(leader), str(follower)) == ("935099353672", "671537054666")
    payload = capture(JOHNAN)
    payload["ems"][0]["ecu_id"], payload["ems"][1]["ecu_id"] = leader, follower
    battery.payloads["/ems.json"] = payload
    entry = entry_for(battery, str(leader), minor_version=1)
    entry.add_to_hass(hass)
    device_registry, entity_registry = dr.async_get(hass), er.async_get(hass)
    old_devices = {
        identifier: device_registry.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, identifier)}
        ).id
        for identifier in (
            f"{leader}",
            f"{leader}_system",
            f"{follower}",
            f"{follower}_module_0",
            f"{leader}_grid_a46dd4fffea25015",
        )
    }
    old_entities = {
        unique_id: entity_registry.async_get_or_create(
            platform,
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=old_devices[device],
            suggested_object_id=object_id,
        ).entity_id
        for platform, unique_id, device, object_id in (
            ("sensor", f"{leader}_system_state_of_charge", f"{leader}_system", "system_soc"),
            ("binary_sensor", f"{leader}_unit_{leader}_fault", f"{leader}", "unit_1_fault"),
            (
                "sensor",
                f"{leader}_unit_{follower}_module_0_cycle_count",
                f"{follower}_module_0",
                "unit_2_module_1_cycle_count",
            ),
            (
                "sensor",
                f"{leader}_grid_a46dd4fffea25015_power",
                f"{leader}_grid_a46dd4fffea25015",
                "grid_sensor_power",
            ),
        )
    }
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.unique_id == "00d9b843ca48"
    now = devices(hass, entry)
    for identifier, device_id in old_devices.items():
        right = identifier.replace(str(leader), "00d9b843ca48").replace(
            str(follower), "009c5aba43ca"
        )
        assert now[right] == device_id
    registered = entities(hass, entry)
    for unique_id, entity_id in old_entities.items():
        right = unique_id.replace(str(leader), "00d9b843ca48").replace(
            str(follower), "009c5aba43ca"
        )
        platform = entity_id.split(".")[0]
        assert registered[f"{platform}:{right}"] == entity_id
    assert not [each for each in registered if str(leader) in each or str(follower) in each]
    assert not [entity_id for entity_id in registered.values() if entity_id.endswith("_2")]
    assert state(hass, entry, "binary_sensor:00d9b843ca48_unit_009c5aba43ca_fault") == "on"


# --------------------------------------------------------------------------------------------
# Odd payloads


async def test_empty_slots_that_say_available(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The real 2026-02 capture's three empty slots, but claiming to be available.
    payload = capture(MARTINWELEN)
    for sensor in payload["sensors"]:
        sensor["available"] = True
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, "08d9b843ca48"))
    assert set(devices(hass, entry)) == {
        "08d9b843ca48",
        "08d9b843ca48_module_0",
        "08d9b843ca48_module_1",
    }
    assert "does not generate unique IDs" not in caplog.text


async def test_a_unit_listed_twice(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The same follower twice, once in each id form: one unit, not two, and no duplicate ids.
    # Likewise a clamp listed twice is counted once.
    payload = cluster()
    twice = copy.deepcopy(payload["ems"][1])
    twice["ecu_id"] = int(FOLLOWER, 16)
    payload["ems"].append(twice)
    grid = next(sensor for sensor in payload["sensors"] if sensor["function"] == "grid")
    payload["sensors"].append(copy.deepcopy(grid))  # and the grid clamp twice
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    assert "does not generate unique IDs" not in caplog.text
    assert {identifier for identifier in devices(hass, entry) if "_" not in identifier} == {
        LEADER,
        FOLLOWER,
    }
    expected = load_fixture("ems_2026_cluster.json")
    assert float(state(hass, entry, f"sensor:{LEADER}_system_grid_power")) == grid["total_power"]
    rated_wh = sum(unit["ems_info"]["rated_capacity"] for unit in expected["ems"])
    assert float(state(hass, entry, f"sensor:{LEADER}_system_rated_capacity")) == rated_wh / 1000


async def test_first_module_missing_for_a_poll(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # The first of two modules drops out: the second must not read as the first.
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    first, second = (f"sensor:{LEADER}_unit_{LEADER}_module_{index}_" for index in (0, 1))
    cycles = state(hass, entry, f"{second}cycle_count")
    soc = state(hass, entry, f"{second}state_of_charge")
    gone_before = unavailable(hass, entry)

    fewer = copy.deepcopy(payload)
    del fewer["ems"][0]["bms_data"][0]
    del fewer["ems"][0]["bms_info"][0]
    battery.payloads["/ems.json"] = fewer
    await tick(hass, freezer, POLL)
    assert state(hass, entry, f"{first}cycle_count") == STATE_UNAVAILABLE
    assert state(hass, entry, f"{first}state_of_charge") == STATE_UNAVAILABLE
    assert state(hass, entry, f"{second}cycle_count") == cycles
    assert state(hass, entry, f"{second}state_of_charge") == soc

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert unavailable(hass, entry) == gone_before


async def test_entry_id_that_is_no_unit_is_not_the_system_id(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
) -> None:
    # Only an entry id that names a unit of this system prefixes the unique ids.
    battery.payloads["/ems.json"] = cluster()
    entry = await set_up(hass, entry_for(battery, "aaaaaaaaaaaa"))
    assert f"sensor:{LEADER}_system_state_of_charge" in entities(hass, entry)
    assert not [each for each in entities(hass, entry) if "aaaaaaaaaaaa" in each]


async def test_healthy_unit_that_omits_its_counters_for_a_poll(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # ems_aggregate is another counter of the battery's: read for one poll, it must not be booked.
    payload = cluster()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    unit_counter = f"sensor:{LEADER}_unit_{FOLLOWER}_battery_discharged_energy"
    system = float(state(hass, entry, SYSTEM_DISCHARGED))

    odd = copy.deepcopy(payload)
    follower = odd["ems"][1]
    del follower["ems_data"]["energy_produced"], follower["ems_data"]["energy_consumed"]
    follower["ems_aggregate"]["imported_kwh"] = 2000.0  # higher than its 1634.915
    battery.payloads["/ems.json"] = odd
    await tick(hass, freezer, POLL)
    assert state(hass, entry, unit_counter) == STATE_UNKNOWN
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system)

    battery.payloads["/ems.json"] = payload
    await tick(hass, freezer, POLL)
    assert float(state(hass, entry, unit_counter)) == pytest.approx(1634.915)
    assert float(state(hass, entry, SYSTEM_DISCHARGED)) == pytest.approx(system)
