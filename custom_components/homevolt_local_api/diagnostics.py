"""Diagnostics: each endpoint's last raw answer and the parsed model, private data redacted."""

from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .coordinator import HomevoltConfigEntry

TO_REDACT = {
    CONF_HOST,
    CONF_PASSWORD,
    "area_code",  # LTE tracking area and cell: where the battery is
    "bssid",
    "cell_id",
    "configuration_url",
    "ecu_host",
    "ecu_id",
    "efr_id",
    "eui",
    "euid",
    "iccid",
    "imei",
    "imsi",
    "inverter_serial_number",
    "manifest_url",  # where the firmware comes from: may carry a token
    "ip",
    "ip_address",
    "node_euid",
    "serial",
    "serial_number",
    "ssid",
    "system_id",
    "unique_id",
    "wifi_ssid",
}


def _plain(value: Any) -> Any:
    """Models as JSON-friendly data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HomevoltConfigEntry
) -> dict[str, Any]:
    """The entry, the device's raw answers and what the integration made of them."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    parsed = {
        "ems": _plain(data.ems),
        "status": _plain(data.status),
        "schedule": _plain(data.schedule),
        "params": _plain(dict(data.params)) if data.params is not None else None,
        "fetched": _plain(data.fetched),
    }
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            # What the polls last read: diagnostics send nothing to a device that may be
            # counting failed logins.
            "raw": coordinator.client.last_answers,
            "parsed": parsed,
        },
        TO_REDACT,
    )
