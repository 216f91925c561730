"""Battery mode: what the battery does now, and a way to choose another mode."""

from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import BatteryMode
from .control import write_state_again
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .data import HomevoltData
from .entity import (
    HomevoltEntity,
    add_entities_as_found,
    register_device,
    scheduled_target,
    system_device_info,
)

PARALLEL_UPDATES = 1

BATTERY_MODE = SelectEntityDescription(
    key="battery_mode_control",
    translation_key="battery_mode",
    options=[mode.value for mode in BatteryMode],
)


class HomevoltBatteryModeSelect(HomevoltEntity[HomevoltData], SelectEntity):
    """The mode of the entry in force; choosing one sends it with the current limits."""

    def __init__(self, *args: Any) -> None:
        """Create the select; it shows something new only when the entry in force changes."""
        super().__init__(*args)
        self.probe = self._probe

    def _probe(self, _data: object) -> object:
        entry = self.control.shown_entry()
        return entry.mode if entry else None

    @property
    def current_option(self) -> str | None:
        # The current data's entry in force, as the probe reads it: a state written while the
        # select is passed by (a refused choice, a renamed device) must not use an older schedule.
        if self.target is None:
            return None
        mode = self.control.current_mode()
        return mode.value if mode else None

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
    return [HomevoltBatteryModeSelect(coordinator, BATTERY_MODE, info, "system", scheduled_target)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the battery mode select."""
    add_entities_as_found(entry, async_add_entities, _selects_for)
