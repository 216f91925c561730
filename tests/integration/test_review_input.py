"""A second, hostile look at what an owner (or a script) may type into the actions."""

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, entry_for, setup_entry


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    return await start_sim(start=None)


@pytest.mark.parametrize("power", ["9" * 5000, "-" + "9" * 5000], ids=["plus", "minus"])
async def test_a_number_too_long_for_int_is_refused_in_words(
    hass: HomeAssistant, sim: Simulator, power: str
) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.via_device_id is None)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    before = sim.requests["POST /console.json"]
    # Not Python's "Exceeds the limit (4300 digits) for integer string conversion".
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "charge", {"device_id": device_id, "power": power}, blocking=True
        )
    assert caught.value.translation_key == "not_whole_number"
    assert len(str(caught.value.translation_placeholders)) < 200
    assert sim.requests["POST /console.json"] == before


async def test_a_mode_that_cannot_take_the_setpoint_in_force_says_so(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.via_device_id is None)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    # Exporting at full power in grid charge/discharge, the slider at its minimum ...
    await hass.services.async_call(
        DOMAIN,
        "set_mode",
        {"device_id": device_id, "mode": "grid_charge_discharge", "setpoint": -6000},
        blocking=True,
    )
    assert hass.states.get("number.homevolt_power_setpoint").attributes["min"] == -6000
    before = sim.requests["POST /console.json"]
    # ... the owner picks grid charge: the -6000 W in force does not fit it. Not "setpoint
    # must be between …", a field the owner never typed, but what is in force and what to do.
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": "grid_charge"},
            blocking=True,
        )
    assert caught.value.translation_key == "setpoint_does_not_fit"
    assert caught.value.translation_placeholders == {
        "mode": "Grid charge",
        "value": "-6000",
        "min": "0",
        "max": "6000",
    }
    assert sim.requests["POST /console.json"] == before
    # A setpoint that fits is carried over.
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.homevolt_power_setpoint", "value": 3000},
        blocking=True,
    )
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.homevolt_battery_mode", "option": "grid_charge"},
        blocking=True,
    )
    assert (sim.system.schedule[0].type, sim.system.schedule[0].params["setpoint"]) == (3, 3000)
