"""What an owner types: refused in their words, before anything is sent; numbers that fit the mode."""

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, control, entry_for, setup_entry

NUMBERS = (
    "minimum_soc",
    "maximum_soc",
    "power_setpoint",
    "max_charge",
    "max_discharge",
    "grid_import_limit",
    "grid_export_limit",
)
NOT_NUMBERS = (float("nan"), "nan", "NaN", float("inf"), float("-inf"), "inf", "-infinity")


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    """The device's clock at the real now, as on a real unit."""
    simulator = await start_sim(start=None)
    await control(simulator, "unit", {"index": 0, "soc": 50.0})
    return simulator


def console_posts(sim: Simulator) -> int:
    return sim.requests["POST /console.json"]


async def _local(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )


async def _action(hass: HomeAssistant, name: str, **data: Any) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.name == "Homevolt")
    await hass.services.async_call(DOMAIN, name, {"device_id": device_id, **data}, blocking=True)


async def _set_number(hass: HomeAssistant, name: str, value: Any) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": f"number.homevolt_{name}", "value": value},
        blocking=True,
    )


async def _select(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.homevolt_battery_mode", "option": option},
        blocking=True,
    )


async def test_renamed_limits_keep_the_entity_ids_of_existing_installs(
    hass: HomeAssistant, sim: Simulator
) -> None:
    # Made by a version that named them "Max charge power"/"Max discharge power".
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for key in ("max_charge_power", "max_discharge_power"):
        registry.async_get_or_create(
            "number",
            DOMAIN,
            f"{entry.unique_id}_system_{key}",
            config_entry=entry,
            suggested_object_id=f"homevolt_{key}",
        )
    await setup_entry(hass, entry)
    await _local(hass)
    await _action(hass, "set_mode", mode="inverter_charge", setpoint=1000)
    await _set_number(hass, "max_charge_power", 4000)
    assert hass.states.get("number.homevolt_max_charge_power").state == "4000.0"
    assert hass.states.get("number.homevolt_max_discharge_power") is not None
    assert hass.states.get("number.homevolt_max_charge") is None
    assert hass.states.get("number.homevolt_max_discharge") is None


async def test_nan_and_infinity_on_every_number(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="grid_charge_discharge", setpoint=1000)
    before, params_before = console_posts(sim), sim.requests["POST /params.json"]
    for name in NUMBERS:
        for value in NOT_NUMBERS:
            with pytest.raises(ServiceValidationError):
                await _set_number(hass, name, value)
    assert console_posts(sim) == before
    assert sim.requests["POST /params.json"] == params_before


async def test_nan_on_a_number_is_refused_by_name(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    with pytest.raises(ServiceValidationError) as caught:
        await _set_number(hass, "power_setpoint", "nan")
    assert caught.value.translation_key == "not_a_number"


@pytest.mark.parametrize(
    ("action", "fields", "field"),
    [
        ("set_mode", {"mode": "grid_charge", "setpoint": 1000}, "setpoint"),
        ("set_mode", {"mode": "grid_charge", "setpoint": 1000}, "max_charge"),
        ("set_mode", {"mode": "grid_charge", "setpoint": 1000}, "export_limit"),
        ("set_mode", {"mode": "grid_charge", "setpoint": 1000}, "min_soc"),
        ("charge", {"power": 1000}, "power"),
        ("charge", {"power": 1000}, "target_soc"),
        ("discharge", {"power": 1000}, "target_soc"),
        ("delete_schedule_entry", {}, "entry_id"),
    ],
)
async def test_nan_and_infinity_on_every_action_field(
    hass: HomeAssistant, sim: Simulator, action: str, fields: dict[str, Any], field: str
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = console_posts(sim)
    for value in NOT_NUMBERS:
        with pytest.raises(ServiceValidationError) as caught:
            await _action(hass, action, **{**fields, field: value})
        assert caught.value.translation_key == "not_whole_number"
        assert caught.value.translation_placeholders["field"] == field
    assert console_posts(sim) == before


@pytest.mark.parametrize("year", [1, 9999])
@pytest.mark.parametrize("tz", ["Europe/Stockholm", "America/New_York"])
async def test_out_of_range_dates(hass: HomeAssistant, sim: Simulator, year: int, tz: str) -> None:
    await hass.config.async_set_time_zone(tz)
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = console_posts(sim)
    edge = datetime(year, 12, 31, 23, 30) if year == 9999 else datetime(year, 1, 1, 0, 30)
    soon = (dt_util.now() + timedelta(hours=1)).replace(tzinfo=None)
    calls: list[tuple[str, dict[str, Any], str]] = [
        ("add_schedule_entry", {"mode": "idle", "start": edge, "end": soon}, "start"),
        ("add_schedule_entry", {"mode": "idle", "start": soon, "end": edge}, "end"),
        ("charge", {"power": 1000, "until": edge}, "until"),
        ("discharge", {"power": 1000, "until": edge}, "until"),
        ("charge", {"power": 1000, "until": edge.isoformat()}, "until"),
    ]
    for action, fields, field in calls:
        with pytest.raises(ServiceValidationError) as caught:
            await _action(hass, action, **fields)
        assert caught.value.translation_key == "date_out_of_range"
        assert caught.value.translation_placeholders["field"] == field
    assert console_posts(sim) == before


async def test_errors_name_the_field_the_owner_typed(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    before = console_posts(sim)
    # Local mode is off: the range error still comes first, so one fix is enough.
    for action, fields, field in (
        ("charge", {"power": 1000, "target_soc": 150}, "target_soc"),
        ("discharge", {"power": 1000, "target_soc": -1}, "target_soc"),
        ("charge", {"power": -5}, "power"),
        ("discharge", {"power": 60000}, "power"),
        ("set_mode", {"mode": "inverter_charge", "setpoint": -3000}, "setpoint"),
        ("set_mode", {"mode": "idle", "max_soc": 101}, "max_soc"),
        ("set_mode", {"mode": "idle", "import_limit": 100001}, "import_limit"),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await _action(hass, action, **fields)
        assert caught.value.translation_key == "out_of_range", (action, fields)
        assert caught.value.translation_placeholders["field"] == field
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "charge", power=1000, target_soc=50)
    assert caught.value.translation_key == "local_mode_off"
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "set_mode", mode="idle", min_soc=80, max_soc=20)
    assert caught.value.translation_key == "soc_order"
    assert console_posts(sim) == before


async def test_mode_from_the_clouds_plan_carries_its_limits(
    hass: HomeAssistant, sim: Simulator
) -> None:
    await setup_entry(hass, entry_for(sim))
    now = dt_util.utcnow().timestamp()
    cloud = next(e for e in sim.system.schedule if e.start <= now < (e.end or now + 1))
    await _local(hass)
    assert hass.states.get("number.homevolt_power_setpoint").state == (
        f"{float(cloud.params['setpoint'])}"
    )
    await _select(hass, "grid_charge")
    entry = sim.system.schedule[0]
    assert (entry.type, entry.params["setpoint"]) == (3, cloud.params["setpoint"])
    assert (entry.min_soc, entry.max_soc) == (cloud.min_soc, cloud.max_soc)
    assert hass.states.get("select.homevolt_battery_mode").state == "grid_charge"


async def test_mode_without_a_setpoint_to_carry_asks_for_one(
    hass: HomeAssistant, sim: Simulator
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "idle")
    before = console_posts(sim)
    for option in ("grid_charge", "inverter_discharge"):
        with pytest.raises(ServiceValidationError) as caught:
            await _select(hass, option)
        assert caught.value.translation_key == "setpoint_missing"
        assert caught.value.translation_placeholders["field"] == "setpoint"
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "set_mode", mode="grid_discharge")
    assert caught.value.translation_key == "setpoint_missing"
    assert console_posts(sim) == before
    assert sim.system.schedule[0].type == 0
    # Modes that need no setpoint still switch.
    await _select(hass, "solar_charge")
    assert sim.system.schedule[0].type == 7


async def test_setpoint_bounds_follow_the_mode(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    rated = 6000
    await _action(hass, "set_mode", mode="inverter_charge", setpoint=2500)
    state = hass.states.get("number.homevolt_power_setpoint")
    assert (state.attributes["min"], state.attributes["max"]) == (0, rated)
    before = console_posts(sim)
    with pytest.raises(ServiceValidationError):
        await _set_number(hass, "power_setpoint", -3000)
    assert console_posts(sim) == before
    await _action(hass, "set_mode", mode="grid_charge_discharge", setpoint=-2000)
    state = hass.states.get("number.homevolt_power_setpoint")
    assert (state.attributes["min"], state.attributes["max"], state.state) == (
        -rated,
        rated,
        "-2000.0",
    )
    await _set_number(hass, "power_setpoint", -3000)
    assert sim.system.schedule[0].params["setpoint"] == -3000


@pytest.mark.parametrize(
    ("key", "value", "drawn_as"),
    [("power_setpoint", 1000, "box"), ("grid_import_limit", 5000, "slider")],
)
async def test_refused_change_redraws_the_control(
    hass: HomeAssistant,
    sim: Simulator,
    freezer: FrozenDateTimeFactory,
    key: str,
    value: int,
    drawn_as: str,
) -> None:
    entity_id = f"number.homevolt_{key}"
    await setup_entry(hass, entry_for(sim))
    before = hass.states.get(entity_id)
    written: list[Event[Any]] = []
    hass.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda event: written.append(event) if event.data["entity_id"] == entity_id else None,
    )
    with pytest.raises(ServiceValidationError) as caught:  # local mode is off
        await _set_number(hass, key, value)
    assert caught.value.translation_key == "local_mode_off"
    await hass.async_block_till_done()
    # The frontend keeps a moved slider where the owner left it while the value stays the same:
    # drawn once the other way, the control is made anew at the value in force.
    assert [event.data["new_state"].attributes["mode"] for event in written] == [drawn_as]
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(written) == 2
    after = written[-1].data["new_state"]
    assert (after.state, after.attributes) == (before.state, before.attributes)
    assert all(event.data["new_state"].state == before.state for event in written)


async def test_refused_changes_in_a_row_redraw_once_more_and_end_with_the_entry(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    for value in (1000, 2000):
        with pytest.raises(ServiceValidationError):  # local mode is off
            await _set_number(hass, "power_setpoint", value)
    assert hass.states.get("number.homevolt_power_setpoint").attributes["mode"] == "box"
    # The entry unloaded within the second: no redraw is left behind (a lingering timer fails
    # the test).
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_refused_mode_is_written_again(hass: HomeAssistant, sim: Simulator) -> None:
    entity_id = "select.homevolt_battery_mode"
    await setup_entry(hass, entry_for(sim))
    before = hass.states.get(entity_id)
    written: list[Event[Any]] = []
    hass.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda event: written.append(event) if event.data["entity_id"] == entity_id else None,
    )
    with pytest.raises(ServiceValidationError):  # local mode is off
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": entity_id, "option": "grid_charge"},
            blocking=True,
        )
    await hass.async_block_till_done()
    # The frontend's list drops the owner's pick when the state is written: written unchanged.
    assert len(written) == 1
    after = written[0].data["new_state"]
    assert (after.state, after.attributes) == (before.state, before.attributes)
    assert after.last_updated > before.last_updated


async def test_local_mode_is_a_control(hass: HomeAssistant, sim: Simulator) -> None:
    from homeassistant.helpers import entity_registry as er

    await setup_entry(hass, entry_for(sim))
    registry = er.async_get(hass)
    assert registry.async_get("switch.homevolt_local_mode").entity_category is None
    # The duplicates of the select and the number are off unless the owner turns them on.
    for entity_id in ("sensor.homevolt_battery_mode", "sensor.homevolt_power_setpoint"):
        entity = registry.async_get(entity_id)
        assert entity is not None and entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entity_id) is None


async def test_whole_numbers_typed_as_text_or_float(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "charge", power=1500.0, target_soc="90")
    entry = sim.system.schedule[0]
    assert (entry.type, entry.params["setpoint"], entry.max_soc) == (1, 1500, 90)
    await _action(hass, "set_mode", mode="grid_charge_discharge", setpoint=" -2000 ")
    assert sim.system.schedule[0].params["setpoint"] == -2000
    for value in (1500.5, "1e3", "²", True, None, [1500]):
        with pytest.raises(ServiceValidationError):
            await _action(hass, "charge", power=value)
