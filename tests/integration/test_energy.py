"""What Home Assistant's Energy pickers are offered: each counter once, named for what it is."""

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import async_list_statistic_ids
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import DATA_RECORDER
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.integration.conftest import StartSim, entry_for, setup_entry


@pytest.fixture(autouse=True)
def _custom_integrations(
    recorder_db_url: str, enable_custom_integrations: None, socket_enabled: None
) -> None:
    """As the package's own, but the recorder's database is prepared before Home Assistant."""


async def _energy_picker(hass: HomeAssistant) -> dict[str, str]:
    """What the Energy settings' pickers list: statistics of the energy unit class, by name.

    The battery picker filters on the unit class alone, so a capacity with a state class is
    offered there as energy going into or out of the battery.
    """
    offered = {}
    for meta in await async_list_statistic_ids(hass):
        if meta["unit_class"] == "energy":
            state = hass.states.get(meta["statistic_id"])
            assert state is not None
            offered[meta["statistic_id"]] = state.name
    return offered


async def test_energy_pickers_offer_each_counter_once(
    recorder_mock: Recorder, hass: HomeAssistant, start_sim: StartSim
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    # The sensor integration's recorder platform registers in the background.
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    assert "sensor" in hass.data[DATA_RECORDER].recorder_platforms
    offered = await _energy_picker(hass)
    # A constant is not storage.
    assert "sensor.homevolt_rated_capacity" not in offered
    assert hass.states.get("sensor.homevolt_rated_capacity") is not None
    # The counters, each once and named for what it counts.
    names = list(offered.values())
    for name in (
        "Homevolt Grid energy imported",
        "Homevolt Grid energy exported",
        "Homevolt Solar energy produced",
        "Homevolt House energy consumed",
        "Homevolt Battery energy charged",
        "Homevolt Battery energy discharged",
    ):
        assert names.count(name) == 1, name
    # The clamps count the same energy as the system's grid and solar counters.
    assert not [
        name for name in names if name.startswith(("Homevolt grid sensor", "Homevolt solar sensor"))
    ]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_clamp_counters_named_for_their_function(
    hass: HomeAssistant, start_sim: StartSim, entity_registry: er.EntityRegistry
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    produced = hass.states.get("sensor.homevolt_solar_sensor_energy_produced")
    assert produced is not None
    assert produced.name == "Homevolt solar sensor Energy produced"
    assert float(produced.state) == pytest.approx(sim.system.solar.imported, abs=0.01)
    assert hass.states.get("sensor.homevolt_solar_sensor_energy_drawn") is not None
    assert hass.states.get("sensor.homevolt_grid_sensor_energy_imported").name == (
        "Homevolt grid sensor Energy imported"
    )
    assert hass.states.get("sensor.homevolt_grid_sensor_energy_exported") is not None


async def test_clamp_counters_disabled_by_default(
    hass: HomeAssistant, start_sim: StartSim, entity_registry: er.EntityRegistry
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    for entity_id in (
        "sensor.homevolt_solar_sensor_energy_produced",
        "sensor.homevolt_solar_sensor_energy_drawn",
        "sensor.homevolt_grid_sensor_energy_imported",
        "sensor.homevolt_grid_sensor_energy_exported",
    ):
        entity = entity_registry.async_get(entity_id)
        assert entity is not None, entity_id
        assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.homevolt_grid_sensor_power") is not None
