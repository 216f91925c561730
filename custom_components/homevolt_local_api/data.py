"""What the integration knows of a system, and the devices that make it up."""

from dataclasses import dataclass, field, replace
from datetime import datetime
import operator

from .api import (
    BatteryModule,
    CtSensor,
    EmsData,
    FirmwareUpdate,
    Parameters,
    Schedule,
    SensorFunction,
    Status,
    Unit,
)
from .const import DOMAIN


@dataclass(frozen=True, slots=True, kw_only=True)
class HomevoltData:
    """Everything read from the device, each part as fresh as its polling tier."""

    ems: EmsData
    system_id: str
    """The identity of the whole system: its leader's id when it was set up, also after
    another unit has taken the lead."""
    status: Status | None = None
    schedule: Schedule | None = None
    params: Parameters | None = None
    firmware_updates: tuple[FirmwareUpdate, ...] | None = None
    fetched: dict[str, datetime] = field(default_factory=dict)
    cluster: bool = False
    """Whether the system has several units; it stays one when units drop out of a poll."""
    unreadable: frozenset[str] = frozenset()
    """Parts whose last read failed: they are None, and the entities reading them unavailable."""
    units_missing: frozenset[str] = frozenset()
    """Units of this system (not yet removed) that this poll did not report."""
    pending: frozenset[str] = frozenset()
    """Parts left for the read right after set-up: not read yet, so nothing is known of them."""

    def unknown(self, part: str) -> bool:
        """Whether nothing current is known of a part: its last read failed, or none came yet."""
        return part in self.unreadable or part in self.pending


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """What decides which entities a system has besides its devices: all an `exists_fn` reads.

    Entities that apply are added when it changes (the coordinator keeps the same object while
    it does not), so a description's `exists_fn` must read nothing else.
    """

    sensors: frozenset[SensorFunction] = frozenset()
    """The functions of the sensors ems.json lists (a load meter in a slot that was empty)."""
    status: bool = False
    """Whether status.json is known."""
    wifi_signal: bool = False
    lte_signal: bool = False

    def has_sensor(self, *functions: SensorFunction) -> bool:
        """Whether ems.json lists a sensor of any of these functions."""
        return not self.sensors.isdisjoint(functions)


def layout_of(data: HomevoltData) -> Layout:
    """The layout the data describes now."""
    status = data.status
    return Layout(
        sensors=frozenset(sensor.function for sensor in data.ems.sensors),
        status=status is not None,
        wifi_signal=status is not None and status.wifi_rssi is not None,
        lte_signal=status is not None and status.lte_rssi is not None,
    )


def is_clamp(sensor: CtSensor) -> bool:
    """Whether a sensor is a physical clamp (the load and battery meters are computed)."""
    return (
        sensor.function not in (SensorFunction.LOAD, SensorFunction.BATTERY)
        and not sensor.is_empty_slot
    )


def clamps(data: HomevoltData) -> list[CtSensor]:
    """The physical clamps, each once (a repeated key would give duplicate unique ids)."""
    found: dict[str, CtSensor] = {}
    for sensor in data.ems.sensors:
        if is_clamp(sensor):
            found.setdefault(sensor.key, sensor)
    return list(found.values())


def unit_identifier(unit: Unit) -> tuple[str, str]:
    """The device of a unit."""
    return (DOMAIN, unit.ecu_id)


def cluster_system_identifier(system_id: str) -> tuple[str, str]:
    """The device carrying a cluster's totals."""
    return (DOMAIN, f"{system_id}_system")


def system_identifier(data: HomevoltData) -> tuple[str, str]:
    """The system device of a cluster; a single unit is its own system."""
    if data.cluster:
        return cluster_system_identifier(data.system_id)
    return unit_identifier(data.ems.leader)


def module_identifier(unit: Unit, module: BatteryModule) -> tuple[str, str]:
    """The device of a battery module."""
    return (DOMAIN, f"{unit.ecu_id}_module_{module.index}")


def clamp_identifier(data: HomevoltData, sensor: CtSensor) -> tuple[str, str]:
    """The device of a CT clamp."""
    return (DOMAIN, f"{data.system_id}_{sensor.key}")


def current_device_identifiers(data: HomevoltData) -> set[tuple[str, str]]:
    """Every device the data describes now."""
    found = {system_identifier(data)}
    for unit in data.ems.units:
        found.add(unit_identifier(unit))
        found.update(module_identifier(unit, module) for module in unit.modules)
    found.update(clamp_identifier(data, sensor) for sensor in clamps(data))
    return found


def keep_unchanged(before: EmsData, ems: EmsData) -> EmsData:
    """A new read of ems.json in which every unchanged unit, module and clamp is the old object.

    Entities compare their part by identity: an unchanged one then costs next to nothing.
    """
    if ems == before:
        return before
    old_units = {unit.ecu_id: unit for unit in before.units}
    units = tuple(_same_unit(old_units.get(unit.ecu_id), unit) for unit in ems.units)
    old_sensors = {(sensor.function, sensor.euid): sensor for sensor in before.sensors}
    sensors = tuple(
        _same_sensor(old_sensors.get((sensor.function, sensor.euid)), sensor)
        for sensor in ems.sensors
    )
    if _all_same(units, ems.units) and _all_same(sensors, ems.sensors):
        return ems  # nothing to keep: no copy needed
    return replace(ems, units=units, sensors=sensors)


def _all_same[T](kept: tuple[T, ...], read: tuple[T, ...]) -> bool:
    return all(map(operator.is_, kept, read, strict=True))


def _same_sensor(before: CtSensor | None, sensor: CtSensor) -> CtSensor:
    # A clamp's reading carries its time: when that moved, nothing else needs comparing.
    if before is None or before.timestamp != sensor.timestamp or before != sensor:
        return sensor
    return before


def _same_unit(before: Unit | None, unit: Unit) -> Unit:
    if before is None:
        return unit
    # Power moves at almost every poll: compared first, it spares comparing the rest.
    if before.power == unit.power and before == unit:
        return before
    old = before.modules
    modules = tuple(
        old[index] if index < len(old) and old[index] == module else module
        for index, module in enumerate(unit.modules)
    )
    if _all_same(modules, unit.modules):
        return unit  # every module changed too: no copy needed
    return replace(unit, modules=modules)
