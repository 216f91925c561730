"""The schedule as a calendar: each entry an event with its mode and limits."""

from datetime import datetime, timedelta
import re
from typing import Any

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import BatteryMode, Schedule, ScheduleEntry, ScheduleLimits
from .const import DOMAIN
from .control import LIMIT_NAMES, as_moment
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import HomevoltEntity, add_entities_as_found, schedule_target, system_device_info

PARALLEL_UPDATES = 1

SCHEDULE = CalendarEntityDescription(key="schedule", translation_key="schedule")
# An entry without an end runs until replaced; shown for a day ahead of now.
OPEN_END = timedelta(days=1)
_LIMIT = re.compile(r"^\s*([a-z_]+)\s*[=:]\s*(-?\d+)\s*(?:w|%)?\s*$", re.IGNORECASE)


def mode_label(mode: BatteryMode) -> str:
    """An event title for a mode: "Grid charge"."""
    return mode.value.replace("_", " ").capitalize()


def describe_limits(limits: ScheduleLimits) -> str:
    """One `name=value` line per limit that is set (what a new event's description takes)."""
    lines = [
        f"{name}={getattr(limits, name)}"
        for name in LIMIT_NAMES
        if getattr(limits, name) is not None
    ]
    if limits.offline:
        lines.append("offline=1")
    return "\n".join(lines)


def parse_mode(summary: str) -> BatteryMode:
    """The mode an event's title names (its key or its label)."""
    wanted = re.sub(r"[\s/-]+", "_", summary.strip().lower())
    for mode in BatteryMode:
        if wanted == mode.value:
            return mode
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_mode",
        translation_placeholders={
            "mode": summary,
            "modes": ", ".join(m.value for m in BatteryMode),
        },
    )


def parse_limits(description: str | None) -> ScheduleLimits:
    """Limits from `name=value` lines, validated as numbers; anything else is refused."""
    values: dict[str, Any] = {}
    for line in (description or "").splitlines():
        if not line.strip():
            continue
        match = _LIMIT.match(line)
        name = match.group(1).lower() if match else ""
        if match is None or (name not in LIMIT_NAMES and name != "offline"):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_limit",
                translation_placeholders={"line": line.strip()[:60]},
            )
        values[name] = int(match.group(2)) != 0 if name == "offline" else int(match.group(2))
    return ScheduleLimits(**values)


def _event(entry: ScheduleEntry, now: datetime) -> CalendarEvent | None:
    start = entry.start or now
    end = entry.end or max(now, start) + OPEN_END
    if end <= start:
        return None
    mode = entry.mode
    return CalendarEvent(
        start=start,
        end=end,
        summary=mode_label(mode) if mode else f"Type {entry.type_code}",
        description=describe_limits(entry.limits) or None,
        uid=str(entry.id),
    )


class HomevoltScheduleCalendar(HomevoltEntity[Schedule], CalendarEntity):
    """What the battery will do today and tomorrow."""

    _attr_supported_features = (
        CalendarEntityFeature.CREATE_EVENT | CalendarEntityFeature.DELETE_EVENT
    )

    def _events(self) -> list[CalendarEvent]:
        now = dt_util.utcnow()
        schedule = self.target
        events = [_event(entry, now) for entry in schedule.entries] if schedule else []
        return sorted((e for e in events if e is not None), key=lambda e: e.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        now = dt_util.utcnow()
        for event in self._events():
            if event.end_datetime_local > now:
                return event
        return None

    def _shown(self) -> Any:
        event = self.event
        return (event.uid, event.start, event.end, event.summary) if event else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [
            event
            for event in self._events()
            if event.end_datetime_local > start_date and event.start_datetime_local < end_date
        ]

    async def async_create_event(self, **kwargs: Any) -> None:
        start, end = kwargs["dtstart"], kwargs["dtend"]
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="all_day_event")
        mode = parse_mode(str(kwargs.get("summary", "")))
        limits = parse_limits(kwargs.get("description"))
        await self.control.add_entry(mode, as_moment(start), as_moment(end), limits)

    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        if not uid.isdigit():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_entry",
                translation_placeholders={"entry": uid},
            )
        await self.control.delete_entry(int(uid))


def _calendars_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    info = system_device_info(coordinator)
    return [HomevoltScheduleCalendar(coordinator, SCHEDULE, info, "system", schedule_target)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the schedule calendar."""
    add_entities_as_found(entry, async_add_entities, _calendars_for)
