"""Actions: set a mode, manage schedule windows, charge, discharge, idle. Never a raw console."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import probatio

from .api import BatteryMode, ScheduleLimits
from .const import DOMAIN
from .control import LIMIT_NAMES, HomevoltControl, as_moment


def _whole(field: str) -> Callable[[Any], int]:
    """A whole number; 1500.5, NaN, infinity or "abc" are refused, naming the field."""

    def validate(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
        # A length int() converts (it refuses over 4300 digits) and far above any real value.
        if digits.isdecimal() and len(digits) <= 12:
            return int(value)
        # Raised from the schema so that nothing runs: a translated refusal, not a raw one.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_whole_number",
            translation_placeholders={"field": field, "value": str(value)[:40]},
        )

    return validate


_DEVICE = {probatio.Required(ATTR_DEVICE_ID): cv.string}
_LIMIT_FIELDS = {probatio.Optional(name): _whole(name) for name in LIMIT_NAMES} | {
    probatio.Optional("offline"): cv.boolean
}
_MODE = {probatio.Required("mode"): probatio.In([mode.value for mode in BatteryMode])}
_POWER_FIELDS = {
    probatio.Required("power"): _whole("power"),
    probatio.Optional("target_soc"): _whole("target_soc"),
    probatio.Optional("until"): cv.datetime,
}

SCHEMAS = {
    "set_mode": probatio.Schema({**_DEVICE, **_MODE, **_LIMIT_FIELDS}),
    "add_schedule_entry": probatio.Schema(
        {
            **_DEVICE,
            **_MODE,
            probatio.Required("start"): cv.datetime,
            probatio.Required("end"): cv.datetime,
            **_LIMIT_FIELDS,
        }
    ),
    "delete_schedule_entry": probatio.Schema(
        {**_DEVICE, probatio.Required("entry_id"): _whole("entry_id")}
    ),
    "clear_schedule": probatio.Schema(_DEVICE),
    "charge": probatio.Schema({**_DEVICE, **_POWER_FIELDS}),
    "discharge": probatio.Schema({**_DEVICE, **_POWER_FIELDS}),
    "idle": probatio.Schema(_DEVICE),
}


def _control(hass: HomeAssistant, call: ServiceCall) -> HomevoltControl:
    """The control of the Homevolt the action targets."""
    device = dr.async_get(hass).async_get(call.data[ATTR_DEVICE_ID])
    entry = hass.config_entries.async_get_entry(device.config_entry_id) if device else None
    if entry and entry.domain == DOMAIN and entry.state is ConfigEntryState.LOADED:
        control: HomevoltControl = entry.runtime_data.control
        return control
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": str(call.data[ATTR_DEVICE_ID])},
    )


def _limits(data: dict[str, Any]) -> ScheduleLimits:
    return ScheduleLimits(
        **{name: data[name] for name in LIMIT_NAMES if name in data},
        offline=bool(data.get("offline", False)),
    )


def _until(value: datetime | None) -> datetime | None:
    return None if value is None else as_moment(value, "until")


async def _set_mode(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).set_mode(BatteryMode(call.data["mode"]), _limits(dict(call.data)))


async def _add_schedule_entry(hass: HomeAssistant, call: ServiceCall) -> None:
    start = as_moment(call.data["start"], "start")
    end = as_moment(call.data["end"], "end")
    await _control(hass, call).add_entry(
        BatteryMode(call.data["mode"]), start, end, _limits(dict(call.data))
    )


async def _delete_schedule_entry(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).delete_entry(call.data["entry_id"])


async def _clear_schedule(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).clear()


async def _charge(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).charge(
        call.data["power"], call.data.get("target_soc"), _until(call.data.get("until"))
    )


async def _discharge(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).discharge(
        call.data["power"], call.data.get("target_soc"), _until(call.data.get("until"))
    )


async def _idle(hass: HomeAssistant, call: ServiceCall) -> None:
    await _control(hass, call).set_mode(BatteryMode.IDLE, ScheduleLimits())


HANDLERS = {
    "set_mode": _set_mode,
    "add_schedule_entry": _add_schedule_entry,
    "delete_schedule_entry": _delete_schedule_entry,
    "clear_schedule": _clear_schedule,
    "charge": _charge,
    "discharge": _discharge,
    "idle": _idle,
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every Homevolt)."""
    for name, handler in HANDLERS.items():

        async def handle(call: ServiceCall, handler: Any = handler) -> None:
            await handler(hass, call)

        hass.services.async_register(DOMAIN, name, handle, schema=SCHEMAS[name])
