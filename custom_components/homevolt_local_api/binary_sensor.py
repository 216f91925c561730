"""Binary sensors: cloud connection, firmware update, local mode, unit faults, clamp links."""

from collections.abc import Callable
from dataclasses import dataclass
import functools
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
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .data import HomevoltData
from .entity import (
    HomevoltEntity,
    HomevoltEntityDescription,
    add_entities_as_found,
    build_entities,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HomevoltBinarySensorEntityDescription[T](
    HomevoltEntityDescription, BinarySensorEntityDescription
):
    """A binary sensor: how to read it from the part of the system it describes."""

    is_on_fn: Callable[[T], bool | None]


LEADER_BINARY_SENSORS: tuple[HomevoltBinarySensorEntityDescription[HomevoltData], ...] = (
    HomevoltBinarySensorEntityDescription(
        key="cloud_connected",
        translation_key="cloud_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda d: d.status.cloud_connected if d.status else None,
        exists_fn=lambda layout: layout.status,
    ),
    HomevoltBinarySensorEntityDescription(
        key="firmware_update_running",
        translation_key="firmware_update_running",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda d: d.status.ota_in_progress if d.status else None,
        exists_fn=lambda layout: layout.status,
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
        shown_while_offline=True,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda s: s.available,
    ),
)


class HomevoltBinarySensor[T](HomevoltEntity[T], BinarySensorEntity):
    """A binary sensor reading one part of the system."""

    entity_description: HomevoltBinarySensorEntityDescription[T]

    def __init__(self, *args: Any) -> None:
        """Create the binary sensor; its is_on_fn reads its part with nothing in between."""
        super().__init__(*args)
        self.probe = self.entity_description.is_on_fn

    @property
    def is_on(self) -> bool | None:
        target = self.target
        return None if target is None else self.entity_description.is_on_fn(target)

    def _shown(self) -> Any:
        return self.is_on


def _binary_sensors_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    return build_entities(
        coordinator,
        functools.partial(HomevoltBinarySensor, coordinator),
        leader=LEADER_BINARY_SENSORS,
        unit=UNIT_BINARY_SENSORS,
        clamp=CLAMP_BINARY_SENSORS,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors, and those of units and clamps that appear later."""
    add_entities_as_found(entry, async_add_entities, _binary_sensors_for)
