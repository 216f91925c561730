"""Binary sensors: cloud connection, firmware update, local mode, unit faults, clamp links."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CtSensor, Unit
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator, HomevoltData
from .entity import (
    HomevoltEntity,
    add_entities_as_found,
    clamp_device_info,
    clamp_target,
    is_clamp,
    system_target,
    unit_device_info,
    unit_target,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HomevoltBinarySensorEntityDescription[T](BinarySensorEntityDescription):
    """A binary sensor: how to read it from the part of the system it describes."""

    is_on_fn: Callable[[T], bool | None]
    exists_fn: Callable[[HomevoltData], bool] = lambda _: True


LEADER_BINARY_SENSORS: tuple[HomevoltBinarySensorEntityDescription[HomevoltData], ...] = (
    HomevoltBinarySensorEntityDescription(
        key="cloud_connected",
        translation_key="cloud_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda d: d.status.cloud_connected if d.status else None,
        exists_fn=lambda d: d.status is not None,
    ),
    HomevoltBinarySensorEntityDescription(
        key="firmware_update_running",
        translation_key="firmware_update_running",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda d: d.status.ota_in_progress if d.status else None,
        exists_fn=lambda d: d.status is not None,
    ),
)

UNIT_BINARY_SENSORS: tuple[HomevoltBinarySensorEntityDescription[Unit], ...] = (
    HomevoltBinarySensorEntityDescription(
        key="fault",
        translation_key="fault",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda u: u.is_faulted,
    ),
)

CLAMP_BINARY_SENSORS: tuple[HomevoltBinarySensorEntityDescription[CtSensor], ...] = (
    HomevoltBinarySensorEntityDescription(
        key="connected",
        translation_key="clamp_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda s: s.available,
    ),
)


class HomevoltBinarySensor[T](HomevoltEntity[T], BinarySensorEntity):
    """A binary sensor reading one part of the system."""

    entity_description: HomevoltBinarySensorEntityDescription[T]

    @property
    def is_on(self) -> bool | None:
        target = self.target
        return None if target is None else self.entity_description.is_on_fn(target)

    def _shown(self) -> Any:
        return self.is_on


def _binary_sensors_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    data = coordinator.data
    leader_info = unit_device_info(coordinator, data.ems.leader)
    entities: list[HomevoltEntity[Any]] = [
        HomevoltBinarySensor(coordinator, d, leader_info, "leader", system_target)
        for d in LEADER_BINARY_SENSORS
        if d.exists_fn(data)
    ]
    for unit in data.ems.units:
        unit_info = unit_device_info(coordinator, unit)
        entities += [
            HomevoltBinarySensor(
                coordinator, d, unit_info, f"unit_{unit.ecu_id}", unit_target(unit.ecu_id)
            )
            for d in UNIT_BINARY_SENSORS
        ]
    for sensor in data.ems.sensors:
        if is_clamp(sensor):
            clamp_info = clamp_device_info(coordinator, sensor)
            entities += [
                HomevoltBinarySensor(
                    coordinator,
                    d,
                    clamp_info,
                    sensor.key,
                    clamp_target(sensor.key, shown_while_offline=True),
                )
                for d in CLAMP_BINARY_SENSORS
            ]
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors, and those of units and clamps that appear later."""
    add_entities_as_found(entry, async_add_entities, _binary_sensors_for)
