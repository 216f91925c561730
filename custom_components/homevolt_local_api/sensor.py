"""Sensors: state of charge, power flows, energy, the units, their modules and the CT clamps."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
import functools
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util, slugify

from .api import (
    BatteryMode,
    BatteryModule,
    CtSensor,
    Phase,
    ScheduleSource,
    SensorFunction,
    Unit,
)
from .const import LOGGER
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .data import HomevoltData, Layout
from .entity import (
    HomevoltEntity,
    HomevoltEntityDescription,
    add_entities_as_found,
    build_entities,
)

PARALLEL_UPDATES = 0

SYSTEM_STATES = [
    "init",
    "idle",
    "running",
    "throttled",
    "standby",
    "charging",
    "discharging",
    "fault",
    "error",
    "offline",
    "service",
]
OPERATING_STATES = [
    "init",
    "idle",
    "charging",
    "discharging",
    "standby",
    "fault",
    "error",
    "offline",
    "service",
]

type Value = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class HomevoltSensorEntityDescription[T](HomevoltEntityDescription, SensorEntityDescription):
    """A sensor: how to read its value from the part of the system it describes."""

    value_fn: Callable[[T], Value]
    attributes_fn: Callable[[T], dict[str, Any]] | None = None
    # A clamp's counter means something else on a solar clamp than on a grid clamp.
    clamp_translation_keys: Mapping[SensorFunction, str] = field(default_factory=dict)
    # A sum over the units: unknown while one of them is missing from the poll.
    all_units: bool = False
    # A system counter: the lifetime counters it adds up, by the unit or clamp that keeps each.
    parts_fn: Callable[[T], Mapping[str, float | None]] | None = None
    # A counter the device may read from more than one place: which one this reading is from.
    source_fn: Callable[[T], str | None] | None = None


# A unit's states repeat poll after poll: each is slugified once (bounded: any text may come).
_slug = functools.lru_cache(maxsize=64)(slugify)


def _enum(value: str | None, options: list[str]) -> str | None:
    """A device state as one of the sensor's options; None (unknown) for one not known yet."""
    if value is None:
        return None
    slug = _slug(value)
    return slug if slug in options else None


def _names(items: tuple[str, ...]) -> list[str]:
    return [slugify(item.removeprefix("EMS_").removeprefix("BMS_")) for item in items]


def _now() -> datetime:
    return dt_util.utcnow()


def _boot_time(data: HomevoltData) -> datetime | None:
    if data.status is None or data.status.uptime is None or "status" not in data.fetched:
        return None
    boot = data.fetched["status"] - data.status.uptime
    # Whole minutes, so that each read does not move the timestamp by milliseconds.
    return boot.replace(second=0, microsecond=0)


def _active_mode(data: HomevoltData) -> str | None:
    if data.schedule is None:
        return None
    entry = data.schedule.active_entry(_now())
    return entry.mode.value if entry and entry.mode else None


def _active_setpoint(data: HomevoltData) -> int | None:
    if data.schedule is None:
        return None
    entry = data.schedule.active_entry(_now())
    return entry.limits.setpoint if entry else None


def _line_voltage(name: str) -> Callable[[Unit], Value]:
    return lambda unit: getattr(unit.voltages, name, None)


def _with_sensor(*functions: SensorFunction) -> Callable[[Layout], bool]:
    """Applies while ems.json lists a sensor of any of these functions."""
    return lambda layout: layout.has_sensor(*functions)


def _clamp_counters(
    function: SensorFunction, *, imported: bool
) -> Callable[[HomevoltData], dict[str, float | None]]:
    return lambda d: {
        sensor.key: sensor.energy_imported if imported else sensor.energy_exported
        for sensor in d.ems.sensors
        if sensor.function is function
    }


def _unit_counters(*, charged: bool) -> Callable[[HomevoltData], dict[str, float | None]]:
    # Each source of a unit is a part of its own: one switching source adds nothing.
    return lambda d: {
        f"{unit.ecu_id} {unit.counter_source}": (
            unit.charged_energy if charged else unit.discharged_energy
        )
        for unit in d.ems.units
    }


# The whole system (on the system device of a cluster, else on the unit itself).
SYSTEM_SENSORS: tuple[HomevoltSensorEntityDescription[HomevoltData], ...] = (
    HomevoltSensorEntityDescription(
        key="state_of_charge",
        translation_key="state_of_charge",
        value_fn=lambda d: d.ems.state_of_charge,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="battery_power",
        translation_key="battery_power",
        value_fn=lambda d: d.ems.battery_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="battery_charge_power",
        translation_key="battery_charge_power",
        value_fn=lambda d: d.ems.battery_charge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="battery_discharge_power",
        translation_key="battery_discharge_power",
        value_fn=lambda d: d.ems.battery_discharge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="grid_power",
        translation_key="grid_power",
        value_fn=lambda d: d.ems.grid_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_with_sensor(SensorFunction.GRID),
    ),
    HomevoltSensorEntityDescription(
        key="grid_import_power",
        translation_key="grid_import_power",
        value_fn=lambda d: d.ems.grid_import_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_with_sensor(SensorFunction.GRID),
    ),
    HomevoltSensorEntityDescription(
        key="grid_export_power",
        translation_key="grid_export_power",
        value_fn=lambda d: d.ems.grid_export_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_with_sensor(SensorFunction.GRID),
    ),
    HomevoltSensorEntityDescription(
        key="solar_power",
        translation_key="solar_power",
        value_fn=lambda d: d.ems.solar_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_with_sensor(SensorFunction.SOLAR),
    ),
    HomevoltSensorEntityDescription(
        key="house_power",
        translation_key="house_power",
        # Without a load meter it is worked out from the battery's power, a sum over the units.
        value_fn=lambda d: (
            d.ems.house_power if d.ems.has_load_sensor or not d.units_missing else None
        ),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        exists_fn=_with_sensor(SensorFunction.LOAD, SensorFunction.GRID),
    ),
    HomevoltSensorEntityDescription(
        key="available_charge_power",
        translation_key="available_charge_power",
        value_fn=lambda d: d.ems.available_charge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="available_discharge_power",
        translation_key="available_discharge_power",
        value_fn=lambda d: d.ems.available_discharge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="available_charge_energy",
        translation_key="available_charge_energy",
        value_fn=lambda d: d.ems.available_charge_energy,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="available_discharge_energy",
        translation_key="available_discharge_energy",
        value_fn=lambda d: d.ems.available_discharge_energy,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="usable_capacity",
        translation_key="usable_capacity",
        value_fn=lambda d: d.ems.usable_capacity,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        all_units=True,
    ),
    # A constant: no state class, so no statistics and no place in the Energy pickers.
    HomevoltSensorEntityDescription(
        key="rated_capacity",
        translation_key="rated_capacity",
        value_fn=lambda d: d.ems.rated_capacity,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=None,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="state_of_health",
        translation_key="state_of_health",
        value_fn=lambda d: d.ems.state_of_health,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        all_units=True,
    ),
    HomevoltSensorEntityDescription(
        key="grid_imported_energy",
        translation_key="grid_imported_energy",
        value_fn=lambda d: d.ems.grid_imported_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_with_sensor(SensorFunction.GRID),
        parts_fn=_clamp_counters(SensorFunction.GRID, imported=True),
    ),
    HomevoltSensorEntityDescription(
        key="grid_exported_energy",
        translation_key="grid_exported_energy",
        value_fn=lambda d: d.ems.grid_exported_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_with_sensor(SensorFunction.GRID),
        parts_fn=_clamp_counters(SensorFunction.GRID, imported=False),
    ),
    HomevoltSensorEntityDescription(
        key="solar_produced_energy",
        translation_key="solar_produced_energy",
        value_fn=lambda d: d.ems.solar_produced_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_with_sensor(SensorFunction.SOLAR),
        parts_fn=_clamp_counters(SensorFunction.SOLAR, imported=True),
    ),
    HomevoltSensorEntityDescription(
        key="house_consumed_energy",
        translation_key="house_consumed_energy",
        value_fn=lambda d: d.ems.house_consumed_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_with_sensor(SensorFunction.LOAD),
        parts_fn=_clamp_counters(SensorFunction.LOAD, imported=False),
    ),
    HomevoltSensorEntityDescription(
        key="battery_charged_energy",
        translation_key="battery_charged_energy",
        value_fn=lambda d: d.ems.battery_charged_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        parts_fn=_unit_counters(charged=True),
    ),
    HomevoltSensorEntityDescription(
        key="battery_discharged_energy",
        translation_key="battery_discharged_energy",
        value_fn=lambda d: d.ems.battery_discharged_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        parts_fn=_unit_counters(charged=False),
    ),
    HomevoltSensorEntityDescription(
        key="schedule_source",
        translation_key="schedule_source",
        device_class=SensorDeviceClass.ENUM,
        options=[source.value for source in ScheduleSource],
        value_fn=lambda d: d.schedule.source.value if d.schedule and d.schedule.source else None,
        reads="schedule",
    ),
    # The battery-mode select and the power-setpoint number show these; the sensors stay for
    # history and templates, off unless the owner turns them on.
    HomevoltSensorEntityDescription(
        key="battery_mode",
        translation_key="battery_mode",
        device_class=SensorDeviceClass.ENUM,
        options=[mode.value for mode in BatteryMode],
        value_fn=_active_mode,
        reads="schedule",
        entity_registry_enabled_default=False,
    ),
    HomevoltSensorEntityDescription(
        key="power_setpoint",
        translation_key="power_setpoint",
        value_fn=_active_setpoint,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        reads="schedule",
        entity_registry_enabled_default=False,
    ),
    HomevoltSensorEntityDescription(
        key="next_schedule_change",
        translation_key="next_schedule_change",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: d.schedule.next_change(_now()) if d.schedule else None,
        reads="schedule",
    ),
)

# The unit the integration talks to (status.json describes the leader).
LEADER_SENSORS: tuple[HomevoltSensorEntityDescription[HomevoltData], ...] = (
    HomevoltSensorEntityDescription(
        key="boot_time",
        translation_key="boot_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_boot_time,
        exists_fn=lambda layout: layout.status,
    ),
    HomevoltSensorEntityDescription(
        key="wifi_signal",
        translation_key="wifi_signal",
        value_fn=lambda d: d.status.wifi_rssi if d.status else None,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda layout: layout.wifi_signal,
    ),
    HomevoltSensorEntityDescription(
        key="lte_signal",
        translation_key="lte_signal",
        value_fn=lambda d: d.status.lte_rssi if d.status else None,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda layout: layout.lte_signal,
    ),
)

# Each unit. In a cluster, also its own share of what the system sensors total.
UNIT_SENSORS: tuple[HomevoltSensorEntityDescription[Unit], ...] = (
    HomevoltSensorEntityDescription(
        key="system_state",
        translation_key="system_state",
        device_class=SensorDeviceClass.ENUM,
        options=SYSTEM_STATES,
        value_fn=lambda u: _enum(u.system_state, SYSTEM_STATES),
    ),
    HomevoltSensorEntityDescription(
        key="operating_state",
        translation_key="operating_state",
        device_class=SensorDeviceClass.ENUM,
        options=OPERATING_STATES,
        value_fn=lambda u: _enum(u.operating_state, OPERATING_STATES),
    ),
    HomevoltSensorEntityDescription(
        key="warnings",
        translation_key="warnings",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda u: len(u.warnings),
        attributes_fn=lambda u: {"warnings": _names(u.warnings)},
    ),
    HomevoltSensorEntityDescription(
        key="alarms",
        translation_key="alarms",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda u: len(u.alarms),
        attributes_fn=lambda u: {"alarms": _names(u.alarms), "error": u.error_text},
    ),
    HomevoltSensorEntityDescription(
        key="frequency",
        translation_key="frequency",
        device_class=SensorDeviceClass.FREQUENCY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        suggested_display_precision=2,
        value_fn=lambda u: u.frequency,
    ),
    *(
        HomevoltSensorEntityDescription(
            key=f"voltage_{line}",
            translation_key=f"voltage_{line}",
            value_fn=_line_voltage(line),
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=1,
        )
        for line in ("l1", "l2", "l3")
    ),
    *(
        HomevoltSensorEntityDescription(
            key=f"voltage_{pair}",
            translation_key=f"voltage_{pair}",
            value_fn=_line_voltage(pair),
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
        )
        for pair in ("l1_l2", "l2_l3", "l3_l1")
    ),
    HomevoltSensorEntityDescription(
        key="temperature",
        translation_key="temperature",
        value_fn=lambda u: u.temperature,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
)

UNIT_SHARE_SENSORS: tuple[HomevoltSensorEntityDescription[Unit], ...] = (
    HomevoltSensorEntityDescription(
        key="state_of_charge",
        translation_key="state_of_charge",
        value_fn=lambda u: u.state_of_charge,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
    ),
    HomevoltSensorEntityDescription(
        key="battery_power",
        translation_key="battery_power",
        value_fn=lambda u: u.power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    ),
    HomevoltSensorEntityDescription(
        key="battery_charge_power",
        translation_key="battery_charge_power",
        value_fn=lambda u: u.charge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    ),
    HomevoltSensorEntityDescription(
        key="battery_discharge_power",
        translation_key="battery_discharge_power",
        value_fn=lambda u: u.discharge_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    ),
    HomevoltSensorEntityDescription(
        key="usable_capacity",
        translation_key="usable_capacity",
        value_fn=lambda u: u.usable_capacity,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    HomevoltSensorEntityDescription(
        key="state_of_health",
        translation_key="state_of_health",
        value_fn=lambda u: u.state_of_health,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    HomevoltSensorEntityDescription(
        key="battery_charged_energy",
        translation_key="battery_charged_energy",
        value_fn=lambda u: u.charged_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        source_fn=lambda u: u.counter_source,
    ),
    HomevoltSensorEntityDescription(
        key="battery_discharged_energy",
        translation_key="battery_discharged_energy",
        value_fn=lambda u: u.discharged_energy,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        source_fn=lambda u: u.counter_source,
    ),
)

MODULE_SENSORS: tuple[HomevoltSensorEntityDescription[BatteryModule], ...] = (
    HomevoltSensorEntityDescription(
        key="state_of_charge",
        translation_key="state_of_charge",
        value_fn=lambda m: m.state_of_charge,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
    ),
    HomevoltSensorEntityDescription(
        key="energy_available",
        translation_key="energy_available",
        value_fn=lambda m: m.energy_available,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    HomevoltSensorEntityDescription(
        key="cycle_count",
        translation_key="cycle_count",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda m: m.cycle_count,
    ),
    HomevoltSensorEntityDescription(
        key="min_temperature",
        translation_key="min_temperature",
        value_fn=lambda m: m.min_temperature,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
    HomevoltSensorEntityDescription(
        key="max_temperature",
        translation_key="max_temperature",
        value_fn=lambda m: m.max_temperature,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
)


def _phase(sensor: CtSensor, index: int) -> Phase | None:
    return sensor.phases[index] if index < len(sensor.phases) else None


def _phase_sensors(index: int) -> tuple[HomevoltSensorEntityDescription[CtSensor], ...]:
    number = index + 1

    def read(attribute: str) -> Callable[[CtSensor], Value]:
        return lambda sensor: getattr(_phase(sensor, index), attribute, None)

    placeholders = {"phase": f"L{number}"}
    return (
        HomevoltSensorEntityDescription(
            key=f"phase_{number}_voltage",
            translation_key="phase_voltage",
            translation_placeholders=placeholders,
            value_fn=read("voltage"),
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
        ),
        HomevoltSensorEntityDescription(
            key=f"phase_{number}_current",
            translation_key="phase_current",
            translation_placeholders=placeholders,
            value_fn=read("current"),
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=2,
            entity_registry_enabled_default=False,
        ),
        HomevoltSensorEntityDescription(
            key=f"phase_{number}_power",
            translation_key="phase_power",
            translation_placeholders=placeholders,
            value_fn=read("power"),
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.WATT,
            suggested_display_precision=0,
            entity_registry_enabled_default=False,
        ),
        HomevoltSensorEntityDescription(
            key=f"phase_{number}_power_factor",
            translation_key="phase_power_factor",
            translation_placeholders=placeholders,
            value_fn=read("power_factor"),
            device_class=SensorDeviceClass.POWER_FACTOR,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=2,
            entity_registry_enabled_default=False,
        ),
    )


CLAMP_SENSORS: tuple[HomevoltSensorEntityDescription[CtSensor], ...] = (
    HomevoltSensorEntityDescription(
        key="power",
        translation_key="power",
        value_fn=lambda s: s.total_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
    ),
    # The system's grid and solar counters are these same numbers: off unless wanted, so that
    # the Energy pickers do not offer each twice.
    HomevoltSensorEntityDescription(
        key="energy_imported",
        translation_key="energy_imported",
        value_fn=lambda s: s.energy_imported,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        clamp_translation_keys={SensorFunction.SOLAR: "clamp_energy_produced"},
    ),
    HomevoltSensorEntityDescription(
        key="energy_exported",
        translation_key="energy_exported",
        value_fn=lambda s: s.energy_exported,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        clamp_translation_keys={SensorFunction.SOLAR: "clamp_energy_drawn"},
    ),
    *(description for index in range(3) for description in _phase_sensors(index)),
    HomevoltSensorEntityDescription(
        key="signal_strength",
        translation_key="signal_strength",
        value_fn=lambda s: s.average_rssi or s.rssi or None,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        shown_while_offline=True,
    ),
    HomevoltSensorEntityDescription(
        key="packet_delivery",
        translation_key="packet_delivery",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda s: s.packet_delivery,
        shown_while_offline=True,
    ),
)


class HomevoltSensor[T](HomevoltEntity[T], SensorEntity):
    """A sensor reading one part of the system through its description."""

    entity_description: HomevoltSensorEntityDescription[T]

    def __init__(self, *args: Any) -> None:
        """Create the sensor; a clamp's counters are named for what its function makes them."""
        super().__init__(*args)
        description = self.entity_description
        target = self.target
        if isinstance(target, CtSensor):
            key = description.clamp_translation_keys.get(target.function)
            if key is not None:
                self._attr_translation_key = key
        # Most sensors show their value_fn as it is: it reads the part with nothing in between.
        plain = description.attributes_fn is None and not description.all_units
        self.probe = description.value_fn if plain else self._probe

    _value: Value = None
    _attributes: dict[str, Any] | None = None

    @property
    def native_value(self) -> Value:
        return self._value

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self._attributes

    def _shown(self) -> Any:
        # Worked out once per update; the state write reads what is kept here.
        target = self._target
        if target is None:
            self._value = self._attributes = None
            return None
        attributes_fn = self.entity_description.attributes_fn
        self._value = value = self._value_of(target)
        if attributes_fn is None:
            return value
        self._attributes = attributes = attributes_fn(target)
        return (value, attributes)

    def _probe(self, target: T) -> object:
        value = self._read_value(target)
        attributes_fn = self.entity_description.attributes_fn
        return value if attributes_fn is None else (value, attributes_fn(target))

    def _value_of(self, target: T) -> Value:
        return self._read_value(target)

    def _read_value(self, target: T) -> Value:
        """The value as the device reports it."""
        description = self.entity_description
        if description.all_units and self.coordinator.data.units_missing:
            return None  # a sum over the units that answered is no system total
        return description.value_fn(target)


# A meter read as a float jitters in its last digit: a dip this small is held, not a drop.
DIP_TOLERANCE = 0.01  # kWh
# A counter that started again (a firmware update) holds a small share of its old reading, and
# stays low: a zero read while the unit boots is back within minutes.
RESTART_FRACTION = 0.1
RESTART_AFTER = timedelta(hours=1)


@dataclass(slots=True)
class LifetimeCounter:
    """What one lifetime counter has read: never lower, except once it really started again."""

    highest: float | None = None
    lower_since: datetime | None = None

    def read(self, value: float) -> tuple[float | None, bool, bool]:
        """The reading to count (None while lower), whether it restarted, whether it just dropped.

        A dip within DIP_TOLERANCE reads as the highest so far.
        """
        if self.highest is None or value >= self.highest:
            self.highest, self.lower_since = value, None
            return value, False, False
        if self.highest - value <= DIP_TOLERANCE:
            return self.highest, False, False
        first = self.lower_since is None
        now = _now()  # only a lower reading needs the clock (not read on every update)
        if self.lower_since is None:
            self.lower_since = now
        if now - self.lower_since >= RESTART_AFTER and value < RESTART_FRACTION * self.highest:
            self.highest, self.lower_since = value, None
            return value, True, False
        return None, False, first


@dataclass(kw_only=True)
class CounterStoredData(SensorExtraStoredData):
    """The highest reading published, and a system counter's last reading of each part."""

    parts: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"parts": self.parts}


class HomevoltTotalSensor[T](HomevoltSensor[T], RestoreSensor):
    """A lifetime counter: never published lower than before, also across restarts.

    Home Assistant takes a drop of a `total_increasing` sensor for a meter reset and books the
    climb back as new energy. So a lower reading shows unknown (one warning per drop) until the
    counter is back; one that stays lower for RESTART_AFTER, small like a counter that started
    again from zero, is published as a new cycle.

    A system counter (`parts_fn`) adds up what each unit's or clamp's counter adds, from the
    reading it first had here: a unit that joins or leaves, a clamp that changes role and a
    unit whose counter restarts change it by what they count from then on, never by their past.
    """

    _counter: LifetimeCounter
    _parts: dict[str, LifetimeCounter]
    _total: float | None = None
    _value: Value = None
    _source: str | None = None
    _other_source = False

    def __init__(self, *args: Any) -> None:
        """Nothing read yet."""
        super().__init__(*args)
        self._counter = LifetimeCounter()
        self._parts = {}
        description = self.entity_description
        if description.parts_fn is not None:
            self.probe = description.parts_fn
        elif description.source_fn is not None:
            self.probe = self._probe_with_source

    def _probe_with_source(self, target: T) -> object:
        source_fn = self.entity_description.source_fn
        return (self._read_value(target), source_fn(target) if source_fn else None)

    def _value_of(self, target: T) -> Value:
        return self._value  # worked out in _read

    def _read(self) -> None:
        parts_fn = self.entity_description.parts_fn
        target = self.target
        if parts_fn is not None and target is not None:
            self._value = self._count(parts_fn(target))
            return
        value = None if target is None else self._read_value(target)
        source_fn = self.entity_description.source_fn
        if source_fn is not None and target is not None and isinstance(value, (int, float)):
            source = source_fn(target)
            if self._source is None:
                self._source = source
            elif source != self._source:
                if not self._other_source:
                    LOGGER.warning(
                        "%s: the battery sent %s from %s instead of %s; it shows unknown until "
                        "it reads from %s again",
                        self.entity_id,
                        value,
                        source,
                        self._source,
                        self._source,
                    )
                self._other_source = True
                self._value = None
                return
            self._other_source = False
        if not isinstance(value, (int, float)):
            self._value = value
            return
        before = self._counter.highest
        counted, restarted, dropped = self._counter.read(float(value))
        if dropped:
            LOGGER.warning(
                "%s: %s is lower than the %s shown before (a counter that went back, or started "
                "again); it shows unknown until the counter is back",
                self.entity_id,
                value,
                before,
            )
        if restarted:
            LOGGER.warning("%s: taking %s as a restarted counter", self.entity_id, value)
        self._value = value if counted == value else counted  # a whole count stays whole

    def _count(self, readings: Mapping[str, float | None]) -> float | None:
        known = {part: value for part, value in readings.items() if value is not None}
        if self._total is None or not self._parts:
            # First reading (or one restored from a version that kept no parts): the lifetime
            # sum, never lower than what was shown before.
            if not known:
                return self._total
            self._total = max(sum(known.values()), self._total or 0.0)
            self._parts = {part: LifetimeCounter(value) for part, value in known.items()}
            return round(self._total, 6)
        for part, value in known.items():
            counter = self._parts.get(part)
            if counter is None:  # a unit or clamp new here: its past is not this system's
                self._parts[part] = LifetimeCounter(value)
                continue
            before = counter.highest or 0.0
            counted, restarted, dropped = counter.read(value)
            if dropped:
                LOGGER.warning(
                    "%s: the counter of %s reads %s, lower than its %s before; the total counts "
                    "on without it until it is back",
                    self.entity_id,
                    part,
                    value,
                    before,
                )
            if restarted:
                self._total += value  # counted from zero
            elif counted is not None:
                self._total += counted - before
        return round(self._total, 6)

    def _settled(self) -> bool:
        # A counter waiting to tell a restart from a drop is re-read on every poll.
        return self._counter.lower_since is None and all(
            counter.lower_since is None for counter in self._parts.values()
        )

    async def async_added_to_hass(self) -> None:
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, (int, float, Decimal)):
            self._counter.highest = self._total = float(last.native_value)
        extra = await self.async_get_last_extra_data()
        parts = extra.as_dict().get("parts") if extra is not None else None
        if isinstance(parts, dict):
            self._parts = {
                str(part): LifetimeCounter(float(value))
                for part, value in parts.items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)
            }
        await super().async_added_to_hass()

    @property
    def extra_restore_state_data(self) -> CounterStoredData:
        """The highest reading published (also while unknown or unavailable), and the parts."""
        highest = self._total if self.entity_description.parts_fn else self._counter.highest
        return CounterStoredData(
            native_value=highest,
            native_unit_of_measurement=self.native_unit_of_measurement,
            parts={
                part: counter.highest
                for part, counter in self._parts.items()
                if counter.highest is not None
            },
        )


def _make_sensor(
    coordinator: HomevoltCoordinator,
    description: EntityDescription,
    device: DeviceEntry,
    scope: str,
    target: Callable[[HomevoltData], Any],
) -> HomevoltEntity[Any]:
    counter = getattr(description, "state_class", None) is SensorStateClass.TOTAL_INCREASING
    kind = HomevoltTotalSensor if counter else HomevoltSensor
    return kind(coordinator, description, device, scope, target)


def _sensors_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    return build_entities(
        coordinator,
        functools.partial(_make_sensor, coordinator),
        system=SYSTEM_SENSORS,
        leader=LEADER_SENSORS,
        unit=UNIT_SENSORS,
        cluster_unit=UNIT_SHARE_SENSORS,
        module=MODULE_SENSORS,
        clamp=CLAMP_SENSORS,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors, and those of units, modules and clamps that appear later."""
    add_entities_as_found(entry, async_add_entities, _sensors_for)
