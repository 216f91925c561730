"""Firmware: what the battery runs, what it has been offered, and an update's progress.

Read-only: the battery installs its firmware itself; Home Assistant only shows it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import FirmwareUpdate
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .data import HomevoltData
from .entity import HomevoltEntity, register_leader_device, register_parent_devices

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HomevoltUpdateEntityDescription(UpdateEntityDescription):
    """The firmware of one product the device lists in its OTA manifest."""

    product_id: int


def _description(product_id: int, *, only: bool) -> HomevoltUpdateEntityDescription:
    # One product (the usual case) is just "Firmware"; several are told apart by id.
    return HomevoltUpdateEntityDescription(
        key=f"firmware_{product_id}",
        translation_key="firmware" if only else "firmware_product",
        translation_placeholders={} if only else {"product_id": str(product_id)},
        device_class=UpdateDeviceClass.FIRMWARE,
        entity_category=EntityCategory.DIAGNOSTIC,
        product_id=product_id,
    )


def _product(product_id: int) -> Callable[[HomevoltData], FirmwareUpdate | None]:
    def find(data: HomevoltData) -> FirmwareUpdate | None:
        for update in data.firmware_updates or ():
            if update.product_id == product_id:
                return update
        return None

    return find


def _itself(update: FirmwareUpdate) -> FirmwareUpdate:
    return update


class HomevoltFirmwareUpdate(HomevoltEntity[FirmwareUpdate], UpdateEntity):
    """A product's firmware as the device reports it; no install from Home Assistant."""

    entity_description: HomevoltUpdateEntityDescription
    _attr_supported_features = UpdateEntityFeature.PROGRESS

    def __init__(self, *args: Any) -> None:
        """Create the entity; it shows what the manifest says of its product."""
        super().__init__(*args)
        self.probe = _itself

    @property
    def installed_version(self) -> str | None:
        return self.target.current_version if self.target else None

    @property
    def latest_version(self) -> str | None:
        return self.target.latest_version if self.target else None

    @property
    def in_progress(self) -> bool:
        return bool(self.target and self.target.in_progress)

    @property
    def update_percentage(self) -> float | None:
        return self.target.progress if self.target else None

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        # Asked only when the versions differ, which the device's own up2date flag decided:
        # its version strings need not sort.
        return True

    def _shown(self) -> Any:
        return self.target


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a firmware entity per product in the OTA manifest; none if the device has no manifest."""
    coordinator: HomevoltCoordinator = entry.runtime_data.coordinator
    known: set[int] = set()

    @callback
    def add_new() -> None:
        updates = coordinator.data.firmware_updates or ()
        new = [update.product_id for update in updates if update.product_id not in known]
        if not new:
            return
        register_parent_devices(coordinator)  # a cluster's unit links to the system device
        info = register_leader_device(coordinator)
        if info is None:  # added at a poll that tells which unit leads
            return
        known.update(new)
        only = len(updates) == 1 and len(known) == 1
        async_add_entities(
            HomevoltFirmwareUpdate(
                coordinator,
                _description(product_id, only=only),
                info,
                "leader",
                _product(product_id),
            )
            for product_id in new
        )

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
