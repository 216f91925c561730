"""How entities are called back after a poll: each part looked up once, unchanged readings skipped."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity_platform import EntityPlatform, async_get_platforms
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.homevolt_local_api import sensor
from custom_components.homevolt_local_api.api import BatteryModule
from custom_components.homevolt_local_api.const import DOMAIN
from custom_components.homevolt_local_api.entity import HomevoltEntity
from simulator.model import Entry
from tests.integration.conftest import StartSim, entry_for, follow_up, setup_entry

MODULE_2_MAX = "sensor.homevolt_battery_module_2_maximum_cell_temperature"
MODULE_1_MAX = "sensor.homevolt_battery_module_1_maximum_cell_temperature"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _entities_of(hass: HomeAssistant, entry_id: str, scope: str) -> set[str]:
    """The enabled entities of one part: their unique ids carry its scope."""
    return {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if entry.disabled_by is None and entry.unique_id.split("_", 1)[1].startswith(scope)
    }


@pytest.fixture
def called(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each entity was asked what it shows."""
    counts: Counter[str] = Counter()
    original = HomevoltEntity.update_from

    def counting(self: HomevoltEntity[Any], target: Any) -> bool:
        counts[self.entity_id] += 1
        return original(self, target)

    monkeypatch.setattr(HomevoltEntity, "update_from", counting)
    return counts


async def test_only_entities_whose_reading_changed_are_called_back(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory, called: Counter[str]
) -> None:
    sim = await start_sim()  # a frozen clock: the unit reads the same on every poll
    entry = await setup_entry(hass, entry_for(sim))
    unit_id = sim.system.units[0].ecu_hex
    modules = _entities_of(hass, entry.entry_id, f"unit_{unit_id}_module_")
    module_1 = _entities_of(hass, entry.entry_id, f"unit_{unit_id}_module_0_")
    module_2 = _entities_of(hass, entry.entry_id, f"unit_{unit_id}_module_1_")
    unit = _entities_of(hass, entry.entry_id, f"unit_{unit_id}_") - modules
    clamps = _entities_of(hass, entry.entry_id, "grid") | _entities_of(
        hass, entry.entry_id, "solar"
    )
    assert unit and module_1 and module_2 and clamps
    called.clear()

    await _tick(hass, freezer, 15)
    # The system's data is new, but nothing reads anything new in it: only the calendar (whose
    # event is worked out from the clock) is asked.
    assert called.keys() <= {"calendar.homevolt_schedule"}

    # One module warms up: its unit changes with it, but only that module's reading is new.
    sim.system.units[0].modules[1].tmax += 1.5
    called.clear()
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_2_MAX).state == "23.0"
    assert called.keys() & (unit | modules | clamps) == {MODULE_2_MAX}


async def test_one_failing_entity_does_not_stop_the_others(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    entity = next(
        platform.entities[MODULE_1_MAX]
        for platform in async_get_platforms(hass, DOMAIN)
        if MODULE_1_MAX in platform.entities
    )

    def broken(_: object) -> float:
        raise ZeroDivisionError

    description = entity.entity_description
    entity.entity_description = replace(description, value_fn=broken)  # type: ignore[call-arg]
    for module in sim.system.units[0].modules:
        module.tmax += 1.5
    await _tick(hass, freezer, 15)
    assert "Unexpected error updating sensor.homevolt_battery_module_1_maximum" in caplog.text
    # Not the 21.5 read before, shown as valid while the module reads 23.0.
    assert hass.states.get(MODULE_1_MAX).state == STATE_UNAVAILABLE
    assert hass.states.get(MODULE_2_MAX).state == "23.0"  # the module after it still updates

    # It keeps failing, also with its module unchanged: one traceback, not one per poll.
    for _ in range(3):
        await _tick(hass, freezer, 15)
    sim.system.units[0].modules[0].tmax += 1.0
    await _tick(hass, freezer, 15)
    failures = [record for record in caplog.records if "Unexpected error" in record.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert hass.states.get(MODULE_1_MAX).state == STATE_UNAVAILABLE
    assert hass.states.get(MODULE_2_MAX).state == "23.0"

    # Mended: back with the value read now, and a new fault is logged again.
    entity.entity_description = description
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_1_MAX).state == "24.0"
    entity.entity_description = replace(description, value_fn=broken)  # type: ignore[call-arg]
    sim.system.units[0].modules[0].tmax += 1.0
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_1_MAX).state == STATE_UNAVAILABLE
    failures = [record for record in caplog.records if "Unexpected error" in record.getMessage()]
    assert len(failures) == 2


async def test_a_reading_that_raises_stops_no_other_entity_of_its_part(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = [False]

    def max_temperature(module: BatteryModule) -> float | None:
        if failing[0] and module.index == 0:
            raise ZeroDivisionError
        return module.max_temperature

    # The first module's reading raises (a fault of ours): both when it is compared with the
    # last poll's and when it is shown.
    descriptions = tuple(
        replace(description, value_fn=max_temperature)
        if description.key == "max_temperature"
        else description
        for description in sensor.MODULE_SENSORS
    )
    monkeypatch.setattr(sensor, "MODULE_SENSORS", descriptions)
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    module_1_min = "sensor.homevolt_battery_module_1_minimum_cell_temperature"
    assert hass.states.get(MODULE_1_MAX).state == "21.5"

    failing[0] = True
    for module in sim.system.units[0].modules:
        module.tmax += 1.5
        module.tmin += 1.5
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_1_MAX).state == STATE_UNAVAILABLE
    # The rest of its part, and the module after it, still show what was read.
    assert float(hass.states.get(module_1_min).state) == sim.system.units[0].modules[0].tmin
    assert hass.states.get(MODULE_2_MAX).state == "23.0"
    await _tick(hass, freezer, 15)
    failures = [record for record in caplog.records if "Unexpected error" in record.getMessage()]
    assert len(failures) == 1

    failing[0] = False
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_1_MAX).state == "23.0"


async def test_entry_in_force_follows_the_clock_between_reads(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    starts = int(dt_util.utcnow().timestamp()) + 40
    sim.system.schedule.append(Entry(id=99, start=starts, end=starts + 3600, type=0))
    entry = await setup_entry(hass, entry_for(sim))
    control = entry.runtime_data.control
    schedule = control.schedule
    before = control.current_entry()
    assert before is None or before.id != 99
    freezer.tick(timedelta(seconds=45))  # no poll: the same schedule, read before the start
    assert control.schedule is schedule
    now = control.current_entry()
    assert now is not None and now.id == 99


@pytest.mark.parametrize("units", [1, 2])
async def test_each_device_registered_once_at_set_up(
    hass: HomeAssistant, start_sim: StartSim, monkeypatch: pytest.MonkeyPatch, units: int
) -> None:
    sim = await start_sim(units=units)
    registered: Counter[frozenset[tuple[str, str]]] = Counter()
    original = dr.DeviceRegistry.async_get_or_create

    def counting(self: dr.DeviceRegistry, **kwargs: Any) -> dr.DeviceEntry:
        registered[frozenset(kwargs.get("identifiers") or ())] += 1
        return original(self, **kwargs)

    monkeypatch.setattr(dr.DeviceRegistry, "async_get_or_create", counting)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == len(registered) >= 3 * units
    assert set(registered.values()) == {1}, registered


async def test_registered_disabled_entities_are_not_added_again(
    hass: HomeAssistant, start_sim: StartSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = await start_sim()
    entry = await setup_entry(hass, entry_for(sim))
    registry = er.async_get(hass)
    line_to_line = "sensor.homevolt_voltage_l1_l2"
    assert registry.async_get(line_to_line).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    added: list[str] = []
    original = EntityPlatform._async_add_entity

    async def counting(self: EntityPlatform, entity: Any, *args: Any, **kwargs: Any) -> None:
        added.append(entity.unique_id)
        await original(self, entity, *args, **kwargs)

    monkeypatch.setattr(EntityPlatform, "_async_add_entity", counting)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)  # status.json's entities are added when it is read
    unique_id = registry.async_get(line_to_line).unique_id
    enabled = {
        each.unique_id
        for each in er.async_entries_for_config_entry(registry, entry.entry_id)
        if each.disabled_by is None
    }
    assert unique_id not in added
    assert set(added) == enabled  # every enabled entity is added, nothing else
    assert registry.async_get(line_to_line).disabled_by is er.RegistryEntryDisabler.INTEGRATION

    # The owner enables it: the entry is reloaded (Home Assistant does so) and it is shown.
    registry.async_update_entity(line_to_line, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)
    assert unique_id in added
    state = hass.states.get(line_to_line)
    assert state is not None and float(state.state) > 300


async def test_owner_enables_then_disables_an_entity(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    entry = await setup_entry(hass, entry_for(sim))
    registry = er.async_get(hass)
    line_to_line = "sensor.homevolt_voltage_l1_l2"
    assert registry.async_get(line_to_line).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(line_to_line) is None

    # Home Assistant itself reloads the entry a while after the owner enables it.
    registry.async_update_entity(line_to_line, disabled_by=None)
    await _tick(hass, freezer, 31)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get(line_to_line)
    assert state is not None and float(state.state) > 300

    # Disabled again: gone at once, and not added back by later polls or a reload.
    registry.async_update_entity(line_to_line, disabled_by=er.RegistryEntryDisabler.USER)
    await hass.async_block_till_done()
    assert hass.states.get(line_to_line) is None
    await _tick(hass, freezer, 31)
    assert hass.states.get(line_to_line) is None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await _tick(hass, freezer, 15)
    assert hass.states.get(line_to_line) is None
    assert hass.states.get("sensor.homevolt_state_of_charge").state not in (
        "unavailable",
        "unknown",
    )


async def test_an_entity_failing_also_to_show_as_unavailable_stops_no_other(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    numbers = [
        entity
        for platform in async_get_platforms(hass, DOMAIN)
        if platform.domain == "number"
        for entity in platform.entities.values()
    ]
    assert numbers
    number = numbers[0]

    def broken(_: object) -> tuple[float, float]:
        raise ZeroDivisionError

    # Its bounds are also written while it is unavailable: the second try fails as well.
    number.entity_description = replace(number.entity_description, bounds_fn=broken)  # type: ignore[call-arg]
    for module in sim.system.units[0].modules:
        module.tmax += 1.5
    sim.system.units[0].rated_power += 1000  # the power controls' bounds: the numbers are asked
    await _tick(hass, freezer, 15)
    assert hass.states.get(MODULE_1_MAX).state == "23.0"  # in the same poll
    assert hass.states.get(MODULE_2_MAX).state == "23.0"
    for _ in range(2):
        await _tick(hass, freezer, 15)
    failures = [record for record in caplog.records if "Unexpected error" in record.getMessage()]
    assert len(failures) == 1
    assert number.entity_id in failures[0].getMessage()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_part_failing_makes_its_entities_unavailable_also_those_reading_alike(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    sim.system.schedule = []  # nothing runs: the mode and setpoint sensors read unknown
    await setup_entry(hass, entry_for(sim))
    quiet = ("sensor.homevolt_battery_mode", "sensor.homevolt_power_setpoint")
    for entity_id in quiet:
        assert hass.states.get(entity_id).state == STATE_UNKNOWN, entity_id

    # schedule.json answers nonsense: what those sensors read is unknown still, but from no
    # schedule now: unavailable, even though the value they would show is the same.
    sim.system.schedule_id = 42  # type: ignore[assignment]
    await _tick(hass, freezer, 120)
    assert hass.states.get("sensor.homevolt_state_of_charge").state != STATE_UNAVAILABLE
    for entity_id in quiet:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE, entity_id

    sim.system.schedule_id = "Manual Schedule"
    await _tick(hass, freezer, 60)
    for entity_id in quiet:
        assert hass.states.get(entity_id).state == STATE_UNKNOWN, entity_id


async def test_the_power_controls_follow_the_rated_power(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    controls = ("number.homevolt_max_charge", "number.homevolt_power_setpoint")
    for entity_id in controls:
        assert hass.states.get(entity_id).attributes["max"] == 6000
    # Nothing else the controls show changes: only the bounds are new.
    sim.system.units[0].rated_power += 1000
    await _tick(hass, freezer, 15)
    for entity_id in controls:
        assert hass.states.get(entity_id).attributes["max"] == 7000, entity_id
