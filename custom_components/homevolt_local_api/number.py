"""Limits of the battery's mode: SOC bounds, power setpoint and limits, grid limits."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import functools
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfPower
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .api.const import MAX_GRID_LIMIT
from .control import HomevoltControl, finite
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import (
    HomevoltEntity,
    HomevoltEntityDescription,
    add_entities_as_found,
    build_entities,
)

PARALLEL_UPDATES = 0  # writes are serialized by the client; quick changes are batched
POWER_STEP = 100
# How long a control is drawn the other way after a refused change: long enough to reach the
# browser as an update of its own.
REDRAW_DELAY = 1.0


@dataclass(frozen=True, kw_only=True)
class HomevoltNumberEntityDescription(HomevoltEntityDescription, NumberEntityDescription):
    """A number: how to read it and how to change it."""

    value_fn: Callable[[HomevoltControl], float | None]
    set_fn: Callable[[HomevoltControl, int], Awaitable[None]]
    bounds_fn: Callable[[HomevoltControl], tuple[float, float]] = lambda _: (0, 100)
    reads: str | None = "schedule"  # a limit of the entry in force


def _limit(name: str) -> Callable[[HomevoltControl], float | None]:
    def read(control: HomevoltControl) -> float | None:
        entry = control.shown_entry()
        value = getattr(entry.limits, name) if entry else None
        return float(value) if value is not None else None

    return read


def _set_limit(name: str) -> Callable[[HomevoltControl, int], Awaitable[None]]:
    return lambda control, value: control.update_limits(**{name: value})


def _soc(key: str, **kwargs: Any) -> HomevoltNumberEntityDescription:
    return HomevoltNumberEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=PERCENTAGE,
        native_step=1,
        mode=NumberMode.SLIDER,
        entity_category=EntityCategory.CONFIG,
        **kwargs,
    )


def _power(key: str, limit: str, *, grid: bool = False) -> HomevoltNumberEntityDescription:
    def bounds(control: HomevoltControl) -> tuple[float, float]:
        return (0, MAX_GRID_LIMIT if grid else control.rated_power)

    return HomevoltNumberEntityDescription(
        key=key,
        translation_key=key,
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_step=POWER_STEP,
        mode=NumberMode.BOX if grid else NumberMode.SLIDER,
        entity_category=EntityCategory.CONFIG,
        value_fn=_limit(limit),
        set_fn=_set_limit(limit),
        bounds_fn=bounds,
    )


NUMBERS: tuple[HomevoltNumberEntityDescription, ...] = (
    _soc(
        "minimum_soc",
        value_fn=lambda control: control.min_soc(),
        set_fn=lambda control, value: control.set_minimum_soc(value),
        reads=None,  # the battery's parameter where it has one
    ),
    _soc("maximum_soc", value_fn=_limit("max_soc"), set_fn=_set_limit("max_soc")),
    HomevoltNumberEntityDescription(
        key="power_setpoint",
        translation_key="power_setpoint",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_step=POWER_STEP,
        mode=NumberMode.SLIDER,
        entity_category=EntityCategory.CONFIG,
        value_fn=_limit("setpoint"),
        set_fn=_set_limit("setpoint"),
        # Negative (export) only where the mode in force takes it: grid charge/discharge.
        bounds_fn=lambda control: control.setpoint_bounds(control.current_mode()),
    ),
    _power("max_charge_power", "max_charge"),
    _power("max_discharge_power", "max_discharge"),
    _power("grid_import_limit", "import_limit", grid=True),
    _power("grid_export_limit", "export_limit", grid=True),
)


class HomevoltNumber(HomevoltEntity[Any], NumberEntity):
    """A limit of the current mode; changing it re-issues the mode."""

    entity_description: HomevoltNumberEntityDescription
    _redrawing: CALLBACK_TYPE | None = None
    _removed = False

    def __init__(self, *args: Any) -> None:
        """Create the number; it shows something new only when what the controls show does."""
        super().__init__(*args)
        self.probe = self._probe

    def _probe(self, _data: object) -> object:
        return self.control.shown()

    @property
    def mode(self) -> NumberMode:
        mode = self.entity_description.mode or NumberMode.AUTO
        if self._redrawing is None:
            return mode
        return NumberMode.BOX if mode is NumberMode.SLIDER else NumberMode.SLIDER

    @property
    def native_min_value(self) -> float:
        return self.entity_description.bounds_fn(self.control)[0]

    @property
    def native_max_value(self) -> float:
        return self.entity_description.bounds_fn(self.control)[1]

    @property
    def native_value(self) -> float | None:
        return self.entity_description.value_fn(self.control)

    def _shown(self) -> Any:
        return (self.native_value, self.native_min_value, self.native_max_value)

    async def async_set_native_value(self, value: float) -> None:
        try:
            await self.entity_description.set_fn(self.control, round(finite(value, "value")))
        except Exception:
            self._redraw()
            raise

    @callback
    def _redraw(self) -> None:
        """After a refused change, put the slider (or box) back at the value in force.

        The frontend keeps what the owner dragged to as long as the value stays the same, and
        writing the same state again changes nothing there. Drawn once as a box (a slider if it is
        a box), then as before, the control is made anew and shows the value in force.
        """
        if self._removed:  # a change that failed because the entry was unloaded
            return
        if self._redrawing is not None:
            self._redrawing()
        self._redrawing = async_call_later(self.hass, REDRAW_DELAY, self._redrawn)
        self.async_write_ha_state()

    @callback
    def _redrawn(self, _now: object) -> None:
        self._redrawing = None
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        self._removed = True
        if self._redrawing is not None:
            self._redrawing()
            self._redrawing = None
        await super().async_will_remove_from_hass()


def _numbers_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    return build_entities(
        coordinator, functools.partial(HomevoltNumber, coordinator), system=NUMBERS
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers."""
    add_entities_as_found(entry, async_add_entities, _numbers_for)
