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
