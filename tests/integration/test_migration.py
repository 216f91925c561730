"""Entries made by other versions of this integration: migrated once, never merged or moved back."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator


def _entry(sim: Simulator, unique_id: str, version: int, minor_version: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Homevolt",
        unique_id=unique_id,
        data={CONF_HOST: sim.url, CONF_PASSWORD: sim.options.password},
        version=version,
        minor_version=minor_version,
    )


async def test_entry_of_a_newer_minor_version_loads_as_it_is(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A newer minor version stays readable: loaded, nothing renamed or moved back."""
    entry = _entry(sim, sim.system.units[0].ecu_hex, version=1, minor_version=3)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.unique_id, entry.minor_version) == (sim.system.units[0].ecu_hex, 3)


async def test_migration_leaves_an_old_id_whose_new_form_is_taken(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Old-form ids whose normalised form already exists are left alone: nothing is merged."""
    unit = sim.system.units[0]
    decimal, hexa = str(int(unit.ecu_hex, 16)), unit.ecu_hex
    entry = _entry(sim, decimal, version=1, minor_version=1)
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    old_device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, decimal)}
    )
    new_device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, hexa)}
    )
    old = entities.async_get_or_create(
        "sensor", DOMAIN, f"{decimal}_state_of_charge", config_entry=entry
    )
    new = entities.async_get_or_create(
        "sensor", DOMAIN, f"{hexa}_state_of_charge", config_entry=entry
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.unique_id, entry.minor_version) == (hexa, 2)
    assert devices.async_get(old_device.id).identifiers == {(DOMAIN, decimal)}
    assert devices.async_get(new_device.id).identifiers == {(DOMAIN, hexa)}
    assert entities.async_get(old.entity_id).unique_id == f"{decimal}_state_of_charge"
    assert entities.async_get(new.entity_id).unique_id == f"{hexa}_state_of_charge"
