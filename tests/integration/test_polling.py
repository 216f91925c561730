"""Polling is fixed; owners who want other timing turn it off and ask for updates themselves."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator.server import Simulator
from tests.integration.conftest import entry_for, setup_entry


async def test_update_entity_with_polling_disabled(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, pref_disable_polling=True)
    await setup_entry(hass, entry)
    assert await async_setup_component(hass, "homeassistant", {})
    assert sim.requests["GET /status.json"] == 0
    assert hass.states.get("sensor.homevolt_wi_fi_signal") is None
    sim.requests.clear()
    freezer.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert sum(sim.requests.values()) == 0  # polling is off: the battery is left alone
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.homevolt_state_of_charge"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert sim.requests["GET /ems.json"] == 1
    # Nothing followed set-up by itself: the first call read what set-up left out.
    assert sim.requests["GET /status.json"] == 1
    assert hass.states.get("sensor.homevolt_wi_fi_signal") is not None
