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
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.const import MAX_GRID_LIMIT
from .control import HomevoltControl, finite, write_state_again
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import (
    HomevoltEntity,
    HomevoltEntityDescription,
    add_entities_as_found,
    build_entities,
)

PARALLEL_UPDATES = 0  # writes are serialized by the client; quick changes are batched
POWER_STEP = 100


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
            write_state_again(self)  # the slider moved before the refusal
            raise


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
