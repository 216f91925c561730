"""Battery mode: what the battery does now, and a way to choose another mode."""

from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import BatteryMode, Schedule
from .control import write_state_again
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import (
    HomevoltEntity,
    add_entities_as_found,
    register_device,
    schedule_target,
    system_device_info,
)

PARALLEL_UPDATES = 1

BATTERY_MODE = SelectEntityDescription(
    key="battery_mode_control",
    translation_key="battery_mode",
    options=[mode.value for mode in BatteryMode],
)


class HomevoltBatteryModeSelect(HomevoltEntity[Schedule], SelectEntity):
    """The mode of the entry in force; choosing one sends it with the current limits."""

    @property
    def current_option(self) -> str | None:
        entry = self.target.active_entry(dt_util.utcnow()) if self.target else None
        return entry.mode.value if entry and entry.mode else None

    def _shown(self) -> Any:
        return self.current_option

    async def async_select_option(self, option: str) -> None:
        try:
            await self.control.set_mode(BatteryMode(option))
        except Exception:
            # The frontend's list drops the owner's pick as soon as the state is written (else
            # only two seconds later).
            write_state_again(self)
            raise


def _selects_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    info = register_device(coordinator, system_device_info(coordinator))
    return [HomevoltBatteryModeSelect(coordinator, BATTERY_MODE, info, "system", schedule_target)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the battery mode select."""
    add_entities_as_found(entry, async_add_entities, _selects_for)
