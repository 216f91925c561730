"""Local mode: while it is off, the Tibber cloud replaces local schedules."""

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Schedule
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import (
    HomevoltEntity,
    add_entities_as_found,
    register_leader_device,
    schedule_target,
)

PARALLEL_UPDATES = 1

# A control, not configuration: every other control depends on it, so it shows in the device
# page's first card (Controls, beside Battery mode) rather than down under Configuration.
LOCAL_MODE = SwitchEntityDescription(key="local_mode", translation_key="local_mode")


def _local_mode(schedule: Schedule) -> bool | None:
    return schedule.local_mode


class HomevoltLocalModeSwitch(HomevoltEntity[Schedule], SwitchEntity):
    """Local mode, stored on the battery; shown as the battery reads it back."""

    def __init__(self, *args: Any) -> None:
        """Create the switch; a new schedule that keeps local mode as it was shows nothing new."""
        super().__init__(*args)
        self.probe = _local_mode

    @property
    def is_on(self) -> bool | None:
        return self.target.local_mode if self.target else None

    def _shown(self) -> Any:
        return self.is_on

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.control.set_local_mode(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.control.set_local_mode(False)


def _switches_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    info = register_leader_device(coordinator)
    if info is None:  # added once the leader is known
        return []
    return [HomevoltLocalModeSwitch(coordinator, LOCAL_MODE, info, "leader", schedule_target)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the local mode switch."""
    add_entities_as_found(entry, async_add_entities, _switches_for)
