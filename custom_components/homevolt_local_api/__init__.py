"""Homevolt Local API: a Tibber Homevolt battery over its own local HTTP API, no cloud."""

from homeassistant.const import CONF_HOST, CONF_PASSWORD, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .api import HomevoltClient
from .const import CONF_VERIFY_SSL, DOMAIN
from .control import HomevoltControl
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator, HomevoltRuntime
from .entity import current_device_identifiers
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
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
    await coordinator.async_config_entry_first_refresh()
    control = HomevoltControl(hass, coordinator)
    entry.runtime_data = HomevoltRuntime(coordinator, control)
    entry.async_on_unload(coordinator.async_add_listener(control.forget_solved_issue))
    entry.async_on_unload(control.unload)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HomevoltConfigEntry) -> bool:
    """Unload the platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HomevoltConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only when the system no longer reports it."""
    data = entry.runtime_data.coordinator.data
    return data is None or not device.identifiers & current_device_identifiers(data)
