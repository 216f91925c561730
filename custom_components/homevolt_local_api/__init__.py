"""Homevolt Local API: a Tibber Homevolt battery over its own local HTTP API, no cloud."""

from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .api import HomevoltClient, normalize_ecu_id
from .const import CONF_SCAN_INTERVAL, CONF_VERIFY_SSL, DOMAIN, LOGGER
from .control import HomevoltControl
from .coordinator import (
    LOGIN_REFUSALS,
    HomevoltConfigEntry,
    HomevoltCoordinator,
    HomevoltRuntime,
    missing_devices_store,
)
from .data import current_device_identifiers
from .entity import follow_firmware
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions; they target a Homevolt device."""
    async_setup_services(hass)
    return True


def create_client(hass: HomeAssistant, data: dict[str, object]) -> HomevoltClient:
    """A client for the settings of a config entry (or a flow about to create one)."""
    password = data.get(CONF_PASSWORD)
    return HomevoltClient(
        str(data[CONF_HOST]),
        str(password) if password else None,
        session=async_get_clientsession(hass),
        verify_ssl=bool(data.get(CONF_VERIFY_SSL, True)),
        device_timezone=dt_util.get_default_time_zone(),
    )


async def async_setup_entry(hass: HomeAssistant, entry: HomevoltConfigEntry) -> bool:
    """Connect to the Homevolt and set up its platforms."""
    coordinator = HomevoltCoordinator(hass, entry, create_client(hass, dict(entry.data)))
    await coordinator.async_load_missing_devices()
    await coordinator.async_config_entry_first_refresh()
    control = HomevoltControl(hass, coordinator)
    entry.runtime_data = HomevoltRuntime(coordinator, control)
    entry.async_on_unload(coordinator.async_add_listener(control.forget_solved_issue))
    entry.async_on_unload(control.unload)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(follow_firmware(coordinator))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HomevoltConfigEntry) -> bool:
    """Unload the platforms; the entry's repair issue goes with it (also when it is removed)."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    ir.async_delete_issue(hass, DOMAIN, entry.runtime_data.control.issue_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: HomevoltConfigEntry) -> None:
    """Forget what the entry stored of its own."""
    hass.data.get(LOGIN_REFUSALS, {}).pop(entry.entry_id, None)
    await missing_devices_store(hass, entry.entry_id).async_remove()


def _normalize_leading_id(value: str, *, unit_scope: bool) -> str:
    """An identifier made by an earlier version, with its unit ids in the normalised form.

    Every identifier starts with a unit's id (the system's is its leader's); entity unique ids
    of a unit's own entities carry that unit's id after "unit_".
    """
    parts = value.split("_")
    parts[0] = normalize_ecu_id(parts[0])
    if unit_scope and len(parts) > 2 and parts[1] == "unit":
        parts[2] = normalize_ecu_id(parts[2])
    return "_".join(parts)


async def async_migrate_entry(hass: HomeAssistant, entry: HomevoltConfigEntry) -> bool:
    """Migrate entries made by earlier versions.

    1.2: unit ids are 12-digit lowercase hex whatever form the firmware sends, so a firmware
    update no longer re-creates every device and entity; ids made in the old form move over.
    No user-set polling interval (Home Assistant's appropriate-polling rule) and no firmware
    sensors (the versions are on the device's info).
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        options = {k: v for k, v in entry.options.items() if k != CONF_SCAN_INTERVAL}
        registry = er.async_get(hass)
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.domain == Platform.SENSOR and entity.unique_id.endswith("_firmware"):
                registry.async_remove(entity.entity_id)
        devices = dr.async_get(hass)
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            identifiers = {
                (
                    domain,
                    _normalize_leading_id(value, unit_scope=False) if domain == DOMAIN else value,
                )
                for domain, value in device.identifiers
            }
            taken = any(
                (found := devices.async_get_device_by_identifier(identifier, entry.entry_id))
                is not None
                and found.id != device.id
                for identifier in identifiers
            )
            if identifiers != device.identifiers and not taken:
                devices.async_update_device(device.id, new_identifiers=identifiers)

        entities = er.async_get(hass)

        @callback
        def migrate(entity: er.RegistryEntry) -> dict[str, Any] | None:
            unique_id = _normalize_leading_id(entity.unique_id, unit_scope=True)
            if unique_id == entity.unique_id:
                return None
            if entities.async_get_entity_id(entity.domain, DOMAIN, unique_id):
                LOGGER.debug("Not migrating %s: %s exists", entity.entity_id, unique_id)
                return None
            return {"new_unique_id": unique_id}

        await er.async_migrate_entries(hass, entry.entry_id, migrate)
        unique_id = normalize_ecu_id(entry.unique_id) if entry.unique_id else None
        hass.config_entries.async_update_entry(
            entry, unique_id=unique_id, options=options, minor_version=2
        )
        LOGGER.debug("Migrated %s to 1.2", entry.title)
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HomevoltConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only when the system no longer reports it.

    A unit's modules go with it.
    """
    data = entry.runtime_data.coordinator.data
    current = current_device_identifiers(data) if data is not None else set()
    if device.identifiers & current:
        return False
    registry = dr.async_get(hass)
    for part in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if part.via_device_id == device.id and not part.identifiers & current:
            registry.async_remove_device(part.id)
    return True
