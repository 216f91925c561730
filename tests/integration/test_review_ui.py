"""Review of issue 16: what the limit numbers show and say, as the README has it."""

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, entry_for, setup_entry

SHOWN = {
    "power_setpoint": "1500.0",
    "maximum_soc": "80.0",
    "max_charge": STATE_UNKNOWN,
    "max_discharge": STATE_UNKNOWN,
    "grid_import_limit": "9000.0",
    "grid_export_limit": STATE_UNKNOWN,
}


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    return await start_sim(start=None)


async def _action(hass: HomeAssistant, name: str, **data: object) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.via_device_id is None)
    await hass.services.async_call(DOMAIN, name, {"device_id": device_id, **data}, blocking=True)


def _shown(hass: HomeAssistant) -> dict[str, str]:
    states = {name: hass.states.get(f"number.homevolt_{name}") for name in SHOWN}
    return {name: state.state if state else "missing" for name, state in states.items()}


async def test_numbers_show_the_local_entrys_limits_and_unknown_for_the_rest(
    hass: HomeAssistant, sim: Simulator
) -> None:
    await setup_entry(hass, entry_for(sim))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    await _action(
        hass, "set_mode", mode="inverter_charge", setpoint=1500, max_soc=80, import_limit=9000
    )
    assert sim.system.schedule[0].type == 1  # a local entry, set here
    # The limits this entry sets, and unknown (the battery's own default) for the others.
    assert _shown(hass) == SHOWN
    # No entry in force: every limit of the schedule is unknown.
    await _action(hass, "clear_schedule")
    assert set(_shown(hass).values()) == {STATE_UNKNOWN}


async def test_a_number_against_the_entrys_other_soc_limit_says_which_values(
    hass: HomeAssistant, sim: Simulator
) -> None:
    await setup_entry(hass, entry_for(sim))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    await _action(hass, "set_mode", mode="idle", min_soc=30, max_soc=90)
    before = sim.requests["POST /console.json"]
    # The owner moved Maximum SOC: no field called min_soc or max_soc was typed, so the error
    # gives the entry's values (Minimum SOC may show the battery's parameter instead).
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.homevolt_maximum_soc", "value": 20},
            blocking=True,
        )
    assert caught.value.translation_key == "soc_order_in_force"
    assert caught.value.translation_placeholders == {"min": "30", "max": "20"}
    assert "min_soc" not in str(caught.value)
    assert sim.requests["POST /console.json"] == before
    assert hass.states.get("number.homevolt_maximum_soc").state == "90.0"
