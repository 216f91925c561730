"""Every write to the battery goes through here.

Guarding local mode (and raising the repair issue that turns it on), translating the client's
errors, merging quick number changes into one command, and showing the read-back state at once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import math
from typing import Any, Concatenate

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from .api import (
    BatteryMode,
    HomevoltAuthenticationError,
    HomevoltCommandError,
    HomevoltConnectionError,
    HomevoltError,
    HomevoltModeNotSupportedError,
    HomevoltOutcomeUnknownError,
    HomevoltUnsupportedError,
    HomevoltValidationError,
    Schedule,
    ScheduleEntry,
    ScheduleLimits,
)
from .api.const import MAX_GRID_LIMIT
from .const import DOMAIN
from .coordinator import HomevoltCoordinator

# The numeric limits of a schedule entry (offline is a flag).
LIMIT_NAMES = tuple(name for name in ScheduleLimits.__dataclass_fields__ if name != "offline")
# Number changes that arrive this close together become one command.
BATCH_SECONDS = 0.4
# Modes that run at a power setpoint: without one the battery runs idle (seen on real units).
SETPOINT_MODES = frozenset(
    {
        BatteryMode.INVERTER_CHARGE,
        BatteryMode.INVERTER_DISCHARGE,
        BatteryMode.GRID_CHARGE,
        BatteryMode.GRID_DISCHARGE,
        BatteryMode.GRID_CHARGE_DISCHARGE,
    }
)
# How far ahead a window may end: a schedule is a plan for the coming days, not for decades.
MAX_AHEAD = timedelta(days=366)
# How far back a window may start (an entry that already began is fine).
MAX_BEHIND = timedelta(days=1)


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
        # One schedule write at a time, batches included: each reads the entry in force only
        # once the previous write's read-back is shown, so none re-issues a replaced mode.
        self._batch_lock = asyncio.Lock()
        self._rated_power = 0  # the whole system's, as last read with every unit present
        self._shown_entry: tuple[object, ScheduleEntry | None] | None = None
        self._shown: tuple[object, tuple[ScheduleEntry | None, float | None, int]] | None = None

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
        """The entry the battery runs now, whether this house or the Tibber cloud wrote it."""
        schedule = self.schedule
        return schedule.active_entry(dt_util.utcnow()) if schedule else None

    def shown_entry(self) -> ScheduleEntry | None:
        """The entry in force as the controls show it: worked out once per poll, for all."""
        data = self.coordinator.data
        shown = self._shown_entry
        if shown is None or shown[0] is not data:
            shown = self._shown_entry = (data, self.current_entry())
        return shown[1]

    def shown(self) -> tuple[ScheduleEntry | None, float | None, int]:
        """What every control's state follows from, worked out once per poll for all.

        The entry in force, the minimum SOC and the rated power.
        """
        data = self.coordinator.data
        shown = self._shown
        if shown is None or shown[0] is not data:
            shown = self._shown = (data, (self.shown_entry(), self.min_soc(), self.rated_power))
        return shown[1]

    def current_mode(self) -> BatteryMode | None:
        """The mode of the entry in force (as the controls show it)."""
        entry = self.shown_entry()
        return entry.mode if entry else None

    @property
    def has_min_soc_parameter(self) -> bool:
        """Whether the unit has a minimum-SOC parameter (only some firmware does)."""
        params = self.coordinator.data.params if self.coordinator.data else None
        return params is not None and params.has_minimum_soc

    def min_soc(self) -> float | None:
        """The minimum SOC in force: the parameter when the unit has it, else the entry's."""
        data = self.coordinator.data
        params = data.params
        if data.unknown("params"):
            return None  # never the schedule's value in place of a parameter not (yet) read
        if params is not None and params.has_minimum_soc:
            return params.minimum_soc
        entry = self.shown_entry()
        return float(entry.limits.min_soc) if entry and entry.limits.min_soc is not None else None

    @property
    def rated_power(self) -> int:
        """The system's rated power in W (bounds for every power control).

        While a unit is missing from the poll, the bounds stay what the whole system takes.
        """
        data = self.coordinator.data
        rated = int(data.ems.rated_power or 0)
        if data.units_missing and rated < self._rated_power:
            return self._rated_power
        self._rated_power = rated
        return rated

    def setpoint_bounds(self, mode: BatteryMode | None) -> tuple[int, int]:
        """The setpoint a mode takes: signed only in grid charge/discharge."""
        rated = self.rated_power
        return (-rated if mode is not None and mode.signed_setpoint else 0, rated)

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

    def _check_limits(
        self,
        mode: BatteryMode,
        limits: ScheduleLimits,
        fields: Mapping[str, str] | None = None,
        *,
        in_force: bool = False,
    ) -> None:
        """Refuse limits outside what the mode and this system take, naming the owner's field.

        `in_force`: a number changed the entry in force, so no field was typed: the SOC order
        error gives the entry's minimum and maximum instead.
        """
        named = {name: name for name in LIMIT_NAMES} | dict(fields or {})
        rated = self.rated_power
        ranges: dict[str, tuple[int, int, str]] = {
            "min_soc": (0, 100, "%"),
            "max_soc": (0, 100, "%"),
            "import_limit": (0, MAX_GRID_LIMIT, "W"),
            "export_limit": (0, MAX_GRID_LIMIT, "W"),
        }
        if rated:  # unknown rated power: the client refuses the write itself
            ranges |= {
                "setpoint": (*self.setpoint_bounds(mode), "W"),
                "max_charge": (0, rated, "W"),
                "max_discharge": (0, rated, "W"),
            }
        for name, (low, high, unit) in ranges.items():
            value = getattr(limits, name)
            if value is not None and not low <= value <= high:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="out_of_range",
                    translation_placeholders={
                        "field": named[name],
                        "value": str(value),
                        "min": str(low),
                        "max": str(high),
                        "unit": unit,
                    },
                )
        if (
            limits.min_soc is not None
            and limits.max_soc is not None
            and limits.min_soc > limits.max_soc
        ):
            if in_force:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="soc_order_in_force",
                    translation_placeholders={
                        "min": str(limits.min_soc),
                        "max": str(limits.max_soc),
                    },
                )
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="soc_order",
                translation_placeholders={"min": named["min_soc"], "max": named["max_soc"]},
            )
        if mode in SETPOINT_MODES and limits.setpoint is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="setpoint_missing",
                translation_placeholders={"mode": mode_label(mode), "field": named["setpoint"]},
            )

    def _check_carried_setpoint(self, mode: BatteryMode, limits: ScheduleLimits) -> None:
        """Refuse a setpoint in force the new mode cannot take, saying where it came from."""
        low, high = self.setpoint_bounds(mode)
        setpoint = limits.setpoint
        if (
            mode in SETPOINT_MODES
            and self.rated_power
            and setpoint is not None
            and not low <= setpoint <= high
        ):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="setpoint_does_not_fit",
                translation_placeholders={
                    "mode": mode_label(mode),
                    "value": str(setpoint),
                    "min": str(low),
                    "max": str(high),
                },
            )

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
        """Switch the battery to a mode from now on (replaces the schedule).

        Without limits, those of the entry in force carry over, the cloud's plan's included.
        """
        async with self._batch_lock:
            if limits is None:
                entry = self.current_entry()
                limits = entry.limits if entry else ScheduleLimits()
                self._check_carried_setpoint(mode, limits)
            self._check_limits(mode, limits)
            self._require_local_mode()
            self._show(await self.client.set_schedule(mode, **_as_kwargs(limits)))

    @translate_errors
    async def update_limits(self, /, **changes: Any) -> None:
        """Re-issue the current mode with changed limits; quick changes become one command."""
        await self._update_limits(**changes)

    async def _update_limits(self, **changes: Any) -> None:
        entry = self.current_entry()
        if entry is None or entry.mode is None:
            # Never guess a mode (sched_set 0 would stop the battery): ask for one.
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_mode")
        self._check_limits(entry.mode, replace(entry.limits, **changes), in_force=True)
        self._require_local_mode()
        self._pending.update(changes)
        if self._batch is None:
            self._batch = self.hass.loop.create_future()
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self._flush(self._batch), "homevolt_limits"
            )
        await asyncio.shield(self._batch)

    async def _flush(self, batch: asyncio.Future[None]) -> None:
        try:
            await asyncio.sleep(BATCH_SECONDS)
            async with self._batch_lock:
                # Changes that arrived while the previous batch was being written join this one.
                changes, self._pending = self._pending, {}
                if self._batch is batch:
                    self._batch = None
                entry = self.current_entry()
                if entry is None or entry.mode is None:
                    raise ServiceValidationError(
                        translation_domain=DOMAIN, translation_key="no_mode"
                    )
                limits = replace(entry.limits, **changes)
                self._check_limits(entry.mode, limits, in_force=True)
                self._show(await self.client.set_schedule(entry.mode, **_as_kwargs(limits)))
        except asyncio.CancelledError:
            _fail(batch, HomeAssistantError(translation_domain=DOMAIN, translation_key="unloaded"))
            raise
        except Exception as err:
            _fail(batch, err)
        else:
            batch.set_result(None)

    @callback
    def unload(self) -> None:
        """The entry is going away: fail changes still waiting, and withdraw its repair."""
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        self._pending = {}
        if self._batch is not None:
            _fail(
                self._batch,
                HomeAssistantError(translation_domain=DOMAIN, translation_key="unloaded"),
            )
            self._batch = None

    @translate_errors
    async def set_minimum_soc(self, percent: int) -> None:
        """The minimum SOC: the persisted parameter, or the current entry's --min."""
        data = self.coordinator.data
        if data.unknown("params"):
            # Whether the unit has the parameter is not known (yet): read it before choosing
            # where to write, never the schedule in place of the parameter.
            try:
                params = await self.client.params()
            except HomevoltUnsupportedError:
                params = None  # no parameters at all: the schedule's limit is the one
            if params is not None:
                self.coordinator.show_read_back(params=params)
        if self.has_min_soc_parameter:
            self.coordinator.show_read_back(params=await self.client.set_minimum_soc(percent))
            return
        await self._update_limits(min_soc=percent)

    @translate_errors
    async def add_entry(
        self, mode: BatteryMode, start: datetime, end: datetime, limits: ScheduleLimits
    ) -> None:
        """Add a window to the schedule."""
        self._check_limits(mode, limits)
        self._require_local_mode()
        async with self._batch_lock:
            self._show(await self.client.add_schedule_entry(mode, start, end, **_as_kwargs(limits)))

    @translate_errors
    async def delete_entry(self, entry_id: int) -> None:
        """Delete one window."""
        self._require_local_mode()
        async with self._batch_lock:
            self._show(await self.client.delete_schedule_entry(entry_id))

    @translate_errors
    async def clear(self) -> None:
        """Delete every window."""
        self._require_local_mode()
        async with self._batch_lock:
            self._show(await self.client.clear_schedule())

    @translate_errors
    async def charge(self, power: int, target_soc: int | None, until: datetime | None) -> None:
        """Charge now, up to a target SOC, optionally until a moment."""
        self._check_limits(
            BatteryMode.INVERTER_CHARGE,
            ScheduleLimits(setpoint=power, max_soc=target_soc),
            {"setpoint": "power", "max_soc": "target_soc"},
        )
        self._require_local_mode()
        async with self._batch_lock:
            self._show(await self.client.charge(power, target_soc, until=until))

    @translate_errors
    async def discharge(self, power: int, target_soc: int | None, until: datetime | None) -> None:
        """Discharge now, down to a target SOC, optionally until a moment."""
        self._check_limits(
            BatteryMode.INVERTER_DISCHARGE,
            ScheduleLimits(setpoint=power, min_soc=target_soc),
            {"setpoint": "power", "min_soc": "target_soc"},
        )
        self._require_local_mode()
        async with self._batch_lock:
            self._show(await self.client.discharge(power, target_soc, until=until))


@callback
def write_state_again(entity: Entity) -> None:
    """Write a control's state although unchanged: a slider or list the owner moved snaps back."""
    entity._attr_force_update = True
    try:
        entity.async_write_ha_state()
    finally:
        entity._attr_force_update = False


def _fail(batch: asyncio.Future[None], err: BaseException) -> None:
    if not batch.done():
        batch.set_exception(err)


def mode_label(mode: BatteryMode) -> str:
    """A mode as the README writes it and as event titles show it: "Grid charge"."""
    return mode.value.replace("_", " ").capitalize()


def as_moment(value: datetime, field: str = "start") -> datetime:
    """An aware UTC moment within reach of a schedule; a naive datetime is local time.

    Out-of-range dates (year 1, year 9999) are refused in the owner's words, never an overflow.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    now = dt_util.utcnow()
    earliest, latest = now - MAX_BEHIND, now + MAX_AHEAD
    try:
        moment = dt_util.as_utc(value)
    except OverflowError:
        moment = None
    if moment is None or not earliest <= moment <= latest:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="date_out_of_range",
            translation_placeholders={
                "field": field,
                "value": value.replace(tzinfo=None).isoformat(sep=" "),
                "earliest": dt_util.as_local(earliest).strftime("%Y-%m-%d"),
                "latest": dt_util.as_local(latest).strftime("%Y-%m-%d"),
            },
        )
    return moment


def finite(value: float, field: str) -> float:
    """A finite number; NaN and infinities are refused in the owner's words."""
    if not math.isfinite(value):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_number",
            translation_placeholders={"field": field, "value": str(value)},
        )
    return value


def _as_kwargs(limits: ScheduleLimits) -> dict[str, Any]:
    return {
        name: getattr(limits, name)
        for name in ScheduleLimits.__dataclass_fields__
        # `is`, not `in`: a setpoint of 0 W is a real value (0 == False in Python).
        if getattr(limits, name) is not None and getattr(limits, name) is not False
    }
