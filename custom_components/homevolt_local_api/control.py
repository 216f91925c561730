"""Every write to the battery goes through here.

Guarding local mode (and raising the repair issue that turns it on), translating the client's
errors, merging quick number changes into one command, and showing the read-back state at once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any, Concatenate

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .api import (
    BatteryMode,
    HomevoltAuthenticationError,
    HomevoltCommandError,
    HomevoltConnectionError,
    HomevoltError,
    HomevoltModeNotSupportedError,
    HomevoltOutcomeUnknownError,
    HomevoltValidationError,
    Schedule,
    ScheduleEntry,
    ScheduleLimits,
    ScheduleSource,
)
from .const import DOMAIN
from .coordinator import HomevoltCoordinator

# The numeric limits of a schedule entry (offline is a flag).
LIMIT_NAMES = tuple(name for name in ScheduleLimits.__dataclass_fields__ if name != "offline")
# Number changes that arrive this close together become one command.
BATCH_SECONDS = 0.4


def translate_errors[**P, R](
    func: Callable[Concatenate[HomevoltControl, P], Awaitable[R]],
) -> Callable[Concatenate[HomevoltControl, P], Coroutine[Any, Any, R]]:
    """Turn the client's errors into Home Assistant's, translated."""

    async def wrapper(self: HomevoltControl, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(self, *args, **kwargs)
        except HomevoltValidationError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_value",
                translation_placeholders={"error": str(err)},
            ) from err
        except HomevoltModeNotSupportedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="mode_not_supported",
                translation_placeholders={"mode": str(err.mode)},
            ) from err
        except HomevoltOutcomeUnknownError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outcome_unknown",
                translation_placeholders={"error": str(err)},
            ) from err
        except HomevoltCommandError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except HomevoltAuthenticationError as err:
            self.coordinator.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HomevoltConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err
        except HomevoltError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"error": str(err)},
            ) from err

    wrapper.__doc__ = func.__doc__
    return wrapper


class HomevoltControl:
    """Controls one Homevolt system."""

    def __init__(self, hass: HomeAssistant, coordinator: HomevoltCoordinator) -> None:
        """Control the system behind this coordinator."""
        self.hass = hass
        self.coordinator = coordinator
        self.client = coordinator.client
        self._pending: dict[str, Any] = {}
        self._batch: asyncio.Future[None] | None = None

    @property
    def issue_id(self) -> str:
        """The repair issue raised while local mode is off."""
        return f"local_mode_off_{self.coordinator.config_entry.entry_id}"

    # ----------------------------------------------------------------------------------------
    # what the controls show

    @property
    def schedule(self) -> Schedule | None:
        """The schedule as last read."""
        data = self.coordinator.data
        return data.schedule if data else None

    def current_entry(self) -> ScheduleEntry | None:
        """The local entry in force now (the cloud's entries are not ours to adjust)."""
        schedule = self.schedule
        if schedule is None or schedule.source is not ScheduleSource.LOCAL:
            return None
        return schedule.active_entry(dt_util.utcnow())

    @property
    def has_min_soc_parameter(self) -> bool:
        """Whether the unit has a minimum-SOC parameter (only some firmware does)."""
        params = self.coordinator.data.params if self.coordinator.data else None
        return params is not None and params.has_minimum_soc

    def min_soc(self) -> float | None:
        """The minimum SOC in force: the parameter when the unit has it, else the entry's."""
        params = self.coordinator.data.params
        if "params" in self.coordinator.data.unreadable:
            return None  # never the schedule's value in place of a parameter we cannot read
        if params is not None and params.has_minimum_soc:
            return params.minimum_soc
        entry = self.current_entry()
        return float(entry.limits.min_soc) if entry and entry.limits.min_soc is not None else None

    @property
    def rated_power(self) -> int:
        """The system's rated power in W (bounds for every power control)."""
        rated = self.coordinator.data.ems.rated_power
        return int(rated) if rated else 0

    # ----------------------------------------------------------------------------------------
    # guards and results

    def _require_local_mode(self) -> None:
        """Refuse a schedule write the cloud would silently replace; offer the fix."""
        schedule = self.schedule
        if schedule is not None and schedule.local_mode:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="local_mode_off",
            data={"entry_id": self.coordinator.config_entry.entry_id},
        )
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="local_mode_off")

    @callback
    def forget_solved_issue(self) -> None:
        """Withdraw the repair issue once local mode is on, however it was turned on."""
        if self.schedule is not None and self.schedule.local_mode:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    def _show(self, schedule: Schedule) -> None:
        # Listeners run on this update, forget_solved_issue among them.
        self.coordinator.show_read_back(schedule=schedule)

    # ----------------------------------------------------------------------------------------
    # writes

    @translate_errors
    async def set_local_mode(self, enabled: bool) -> None:
        """Turn local mode on or off (persisted)."""
        self._show(await self.client.set_local_mode(enabled))

    @translate_errors
    async def set_mode(self, mode: BatteryMode, limits: ScheduleLimits | None = None) -> None:
        """Switch the battery to a mode from now on (replaces the schedule)."""
        self._require_local_mode()
        limits = limits if limits is not None else self._current_limits()
        self._show(await self.client.set_schedule(mode, **_as_kwargs(limits)))

    def _current_limits(self) -> ScheduleLimits:
        entry = self.current_entry()
        return entry.limits if entry else ScheduleLimits()

    @translate_errors
    async def update_limits(self, /, **changes: Any) -> None:
        """Re-issue the current mode with changed limits; quick changes become one command."""
        await self._update_limits(**changes)

    async def _update_limits(self, **changes: Any) -> None:
        self._require_local_mode()
        replace(ScheduleLimits(), **changes)  # unknown names fail here, before batching
        self._pending.update(changes)
        if self._batch is None:
            self._batch = self.hass.loop.create_future()
            self.hass.async_create_background_task(self._flush(), "homevolt_limits")
        await asyncio.shield(self._batch)

    async def _flush(self) -> None:
        await asyncio.sleep(BATCH_SECONDS)
        changes, self._pending = self._pending, {}
        batch, self._batch = self._batch, None
        assert batch is not None
        try:
            entry = self.current_entry()
            mode = entry.mode if entry and entry.mode else BatteryMode.IDLE
            limits = replace(self._current_limits(), **changes)
            self._show(await self.client.set_schedule(mode, **_as_kwargs(limits)))
        except Exception as err:
            batch.set_exception(err)
        else:
            batch.set_result(None)

    @translate_errors
    async def set_minimum_soc(self, percent: int) -> None:
        """The minimum SOC: the persisted parameter, or the current entry's --min."""
        if self.has_min_soc_parameter:
            self.coordinator.show_read_back(params=await self.client.set_minimum_soc(percent))
            return
        await self._update_limits(min_soc=percent)

    @translate_errors
    async def add_entry(
        self, mode: BatteryMode, start: datetime, end: datetime, limits: ScheduleLimits
    ) -> None:
        """Add a window to the schedule."""
        self._require_local_mode()
        self._show(await self.client.add_schedule_entry(mode, start, end, **_as_kwargs(limits)))

    @translate_errors
    async def delete_entry(self, entry_id: int) -> None:
        """Delete one window."""
        self._require_local_mode()
        self._show(await self.client.delete_schedule_entry(entry_id))

    @translate_errors
    async def clear(self) -> None:
        """Delete every window."""
        self._require_local_mode()
        self._show(await self.client.clear_schedule())

    @translate_errors
    async def charge(self, power: int, target_soc: int | None, until: datetime | None) -> None:
        """Charge now, up to a target SOC, optionally until a moment."""
        self._require_local_mode()
        self._show(await self.client.charge(power, target_soc, until=until))

    @translate_errors
    async def discharge(self, power: int, target_soc: int | None, until: datetime | None) -> None:
        """Discharge now, down to a target SOC, optionally until a moment."""
        self._require_local_mode()
        self._show(await self.client.discharge(power, target_soc, until=until))


def as_moment(value: datetime) -> datetime:
    """An aware UTC moment; a naive datetime is Home Assistant's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)


def _as_kwargs(limits: ScheduleLimits) -> dict[str, Any]:
    return {
        name: getattr(limits, name)
        for name in ScheduleLimits.__dataclass_fields__
        # `is`, not `in`: a setpoint of 0 W is a real value (0 == False in Python).
        if getattr(limits, name) is not None and getattr(limits, name) is not False
    }
