"""Steering the simulated battery from Home Assistant."""

import asyncio
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, control, entry_for, setup_entry


def console_posts(sim: Simulator) -> int:
    return sim.requests["POST /console.json"]


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 15) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _local(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )


async def _device_id(hass: HomeAssistant, entry_id: str) -> str:
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    return next(device.id for device in devices if device.name == "Homevolt")


async def _action(hass: HomeAssistant, name: str, **data: Any) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.services.async_call(
        DOMAIN,
        name,
        {"device_id": await _device_id(hass, entry.entry_id), **data},
        blocking=True,
    )


@pytest.fixture
def start_sim(start_sim: StartSim) -> StartSim:
    """The device's clock at the real now, as on a real unit (frozen, for stable values)."""

    async def start(**options: Any) -> Simulator:
        return await start_sim(**{"start": None, **options})

    return start


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    simulator = await start_sim()
    await control(simulator, "unit", {"index": 0, "soc": 50.0})
    return simulator


async def test_local_mode_switch(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    assert hass.states.get("switch.homevolt_local_mode").state == "off"
    await _local(hass)
    # Shown from the read-back at once, without waiting for a poll.
    assert hass.states.get("switch.homevolt_local_mode").state == "on"
    assert sim.system.local_mode
    assert sim.system.params["settings_local"].stored == [True]  # survives a reboot
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    assert hass.states.get("switch.homevolt_local_mode").state == "off"


async def test_control_refused_while_local_mode_off_and_repair_fixes_it(
    hass: HomeAssistant, sim: Simulator, hass_client: Any, hass_ws_client: WebSocketGenerator
) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    before = console_posts(sim)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": "inverter_charge"},
            blocking=True,
        )
    assert caught.value.translation_key == "local_mode_off"
    assert console_posts(sim) == before  # nothing reached the device
    issue_id = f"local_mode_off_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    assert sim.system.local_mode
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.homevolt_battery_mode", "option": "inverter_charge"},
        blocking=True,
    )


async def test_choosing_inverter_charge_charges_within_one_poll(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.homevolt_battery_mode", "option": "inverter_charge"},
        blocking=True,
    )
    assert hass.states.get("select.homevolt_battery_mode").state == "inverter_charge"
    await control(sim, "clock", {"advance": 5})
    await _tick(hass, freezer)
    assert float(hass.states.get("sensor.homevolt_battery_power").state) < 0


async def test_minimum_soc_stops_discharge(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.homevolt_minimum_soc", "value": 48},
        blocking=True,
    )
    assert sim.system.params["battery_min_soc"].stored == [48]
    assert hass.states.get("number.homevolt_minimum_soc").state == "48.0"
    await _action(hass, "discharge", power=6000)
    await control(sim, "clock", {"advance": 5})
    await _tick(hass, freezer)
    assert float(hass.states.get("sensor.homevolt_battery_power").state) == 6000
    await control(sim, "clock", {"advance": 900})
    await _tick(hass, freezer)
    assert float(hass.states.get("sensor.homevolt_battery_power").state) == 0
    assert float(hass.states.get("sensor.homevolt_state_of_charge").state) == pytest.approx(
        48, abs=0.6
    )


async def test_minimum_soc_without_the_parameter(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(min_soc_param=False)
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="inverter_discharge", setpoint=2000)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.homevolt_minimum_soc", "value": 30},
        blocking=True,
    )
    entry = sim.system.schedule[0]
    assert (entry.type, entry.min_soc, entry.params["setpoint"]) == (2, 30, 2000)
    assert hass.states.get("number.homevolt_minimum_soc").state == "30.0"


async def test_quick_number_changes_become_one_command(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    before = console_posts(sim)
    await asyncio.gather(
        *(
            hass.services.async_call(
                "number",
                "set_value",
                {"entity_id": f"number.homevolt_{name}", "value": value},
                blocking=True,
            )
            for name, value in (
                ("power_setpoint", 1500),
                ("power_setpoint", 2500),
                ("max_charge", 4000),
                ("maximum_soc", 85),
            )
        )
    )
    assert console_posts(sim) == before + 1
    entry = sim.system.schedule[0]
    assert entry.type == 3
    assert entry.params == {"setpoint": 2500, "max_charge": 4000}
    assert entry.max_soc == 85
    assert hass.states.get("number.homevolt_power_setpoint").state == "2500.0"


async def test_invalid_input_never_reaches_the_device(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = console_posts(sim)
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "set_mode", mode="inverter_charge", setpoint=7000)
    assert caught.value.translation_key == "out_of_range"
    # In range for the schema, out of range for the battery: refused by the integration.
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "charge", power=1000, target_soc=120)
    assert caught.value.translation_key == "out_of_range"
    assert caught.value.translation_placeholders["field"] == "target_soc"
    with pytest.raises(ServiceValidationError) as caught:
        await _action(hass, "set_mode", mode="idle", min_soc=80, max_soc=20)
    assert caught.value.translation_key == "soc_order"
    # Not a whole number, or text in a number: a translated refusal naming the field.
    for action, data, field in (
        ("set_mode", {"mode": "inverter_charge", "setpoint": 1500.5}, "setpoint"),
        ("charge", {"power": "3000; reset"}, "power"),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await _action(hass, action, **data)
        assert caught.value.translation_key == "not_whole_number"
        assert caught.value.translation_placeholders["field"] == field
    # Not a mode: refused by the action's schema.
    for action, data, field in (("set_mode", {"mode": "reset"}, "mode"),):
        with pytest.raises(probatio.MultipleInvalid) as invalid:
            await _action(hass, action, **data)
        assert [error.path for error in invalid.value.errors] == [[field]]
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, "idle", {"device_id": "not-a-device"}, blocking=True)
    assert caught.value.translation_key == "device_not_found"
    with pytest.raises(ServiceValidationError):
        await _action(
            hass,
            "add_schedule_entry",
            mode="idle",
            start=dt_util.now() + timedelta(hours=2),
            end=dt_util.now() + timedelta(hours=1),
        )
    assert console_posts(sim) == before


async def test_timeout_is_not_resent(hass: HomeAssistant, sim: Simulator) -> None:
    with patch("custom_components.homevolt_local_api.api.client.READ_TIMEOUT", 0.3):
        await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await control(sim, "faults", {"timeout": 1.0, "hang_seconds": 1.0})
    before = console_posts(sim)
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, "idle")
    assert caught.value.translation_key == "outcome_unknown"
    assert console_posts(sim) == before + 1
    await control(sim, "faults", {"timeout": 0.0})


async def test_unsupported_mode(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(firmware="2025")
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, "set_mode", mode="solar_charge")
    assert caught.value.translation_key == "mode_not_supported"


async def test_actions(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "charge", power=3000, target_soc=90)
    entry = sim.system.schedule[0]
    assert (entry.type, entry.params["setpoint"], entry.max_soc, entry.end) == (1, 3000, 90, 0)
    await _action(hass, "idle")
    assert sim.system.schedule[0].type == 0
    # A window given in Home Assistant's local time lands at that instant on the device.
    start = (dt_util.now() + timedelta(hours=2)).replace(microsecond=0)
    end = start + timedelta(hours=1)
    await _action(
        hass,
        "add_schedule_entry",
        mode="grid_charge",
        start=start.replace(tzinfo=None),
        end=end.replace(tzinfo=None),
        setpoint=2000,
        max_soc=80,
    )
    window = sim.system.schedule[-1]
    assert (window.start, window.end) == (int(start.timestamp()), int(end.timestamp()))
    assert (window.type, window.params["setpoint"], window.max_soc) == (3, 2000, 80)
    await _action(hass, "delete_schedule_entry", entry_id=window.id)
    assert all(item.id != window.id for item in sim.system.schedule)
    until = dt_util.now() + timedelta(hours=1)
    await _action(hass, "discharge", power=2000, target_soc=20, until=until)
    window = sim.system.schedule[-1]
    assert (window.type, window.min_soc, window.end) == (2, 20, int(until.timestamp()))
    await _action(hass, "clear_schedule")
    assert sim.system.schedule == []
    await _action(
        hass,
        "set_mode",
        mode="solar_charge_discharge",
        setpoint=0,
        max_charge=4000,
        max_discharge=3000,
        min_soc=20,
        max_soc=90,
        import_limit=11000,
        export_limit=5000,
        offline=False,
    )
    entry = sim.system.schedule[0]
    assert entry.type == 8
    assert entry.params == {
        "setpoint": 0,
        "max_charge": 4000,
        "max_discharge": 3000,
        "import_limit": 11000,
        "export_limit": 5000,
    }


async def test_concurrent_actions_are_serialized(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = console_posts(sim)
    # Interleaved, the second write lands between the first and its read-back, and the first
    # then reports "runs inverter_discharge instead": gather would raise. Serialized, both pass.
    await asyncio.gather(
        _action(hass, "charge", power=1000), _action(hass, "discharge", power=1000)
    )
    assert console_posts(sim) == before + 2
    assert [entry.type for entry in sim.system.schedule] in ([1], [2])  # one, whole, in force


async def test_calendar(
    hass: HomeAssistant, sim: Simulator, hass_ws_client: WebSocketGenerator
) -> None:
    await setup_entry(hass, entry_for(sim))
    # The cloud's plan for today shows as events.
    now = dt_util.now()
    result = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": "calendar.homevolt_schedule",
            "start_date_time": now - timedelta(hours=12),
            "end_date_time": now + timedelta(hours=24),
        },
        blocking=True,
        return_response=True,
    )
    events = result["calendar.homevolt_schedule"]["events"]
    assert [event["summary"] for event in events][:2] == [
        "Inverter charge",
        "Solar charge discharge",
    ]
    await _local(hass)
    start = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": "calendar.homevolt_schedule",
            "summary": "Grid charge",
            "description": "setpoint=2500\nmax_soc=80",
            "start_date_time": start,
            "end_date_time": start + timedelta(hours=1),
        },
        blocking=True,
    )
    created = sim.system.schedule[-1]
    assert (created.type, created.params, created.max_soc) == (3, {"setpoint": 2500}, 80)
    assert created.start == int(start.timestamp())
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "calendar/event/delete",
            "entity_id": "calendar.homevolt_schedule",
            "uid": str(created.id),
        }
    )
    assert (await client.receive_json())["success"]
    assert all(item.id != created.id for item in sim.system.schedule)
    for summary, description in (
        ("Make coffee", ""),
        ("Idle", "setpoint=abc"),
        ("Idle", "reset=1"),
    ):
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                "calendar",
                "create_event",
                {
                    "entity_id": "calendar.homevolt_schedule",
                    "summary": summary,
                    "description": description,
                    "start_date_time": start,
                    "end_date_time": start + timedelta(hours=1),
                },
                blocking=True,
            )
