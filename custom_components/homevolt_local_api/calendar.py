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
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import BatteryMode, Schedule, ScheduleEntry, ScheduleLimits
from .const import DOMAIN
from .control import LIMIT_NAMES, as_moment, mode_label
from .coordinator import HomevoltConfigEntry, HomevoltCoordinator
from .entity import (
    HomevoltEntity,
    add_entities_as_found,
    register_device,
    schedule_target,
    system_device_info,
)

PARALLEL_UPDATES = 1

SCHEDULE = CalendarEntityDescription(key="schedule", translation_key="schedule")
# An entry without an end runs until another replaces it; with none after it, it is drawn
# for a year from its start: a fixed end, so the state does not move with every poll.
OPEN_END = timedelta(days=365)
# The languages whose mode names an event title may use (those of translations/).
LANGUAGES = ("en", "sv", "nb", "da", "fi", "de", "nl")
ENTRY_ID = "entry_id"
# ASCII digits, few enough for int(): "²" or 5000 digits would raise a raw ValueError.
_LIMIT = re.compile(r"^\s*([a-z_]+)\s*[=:]\s*(-?\d{1,12})\s*(?:w|%)?\s*$", re.IGNORECASE | re.ASCII)
_ENTRY_UID = re.compile(r"^[0-9]{1,10}$", re.ASCII)


def describe(entry: ScheduleEntry) -> str:
    """One `name=value` line per limit that is set (what a new event's description takes).

    The last line is the entry's id, the one `delete_schedule_entry` takes.
    """
    limits = entry.limits
    lines = [
        f"{name}={getattr(limits, name)}"
        for name in LIMIT_NAMES
        if getattr(limits, name) is not None
    ]
    if limits.offline:
        lines.append("offline=1")
    lines.append(f"{ENTRY_ID}={entry.id}")
    return "\n".join(lines)


def _normal(text: str) -> str:
    return re.sub(r"[\s/-]+", "_", text.strip().casefold())


async def parse_mode(hass: HomeAssistant, summary: str) -> BatteryMode:
    """The mode an event's title names: its key, or its name in any of our languages."""
    wanted = _normal(summary)
    names: dict[str, BatteryMode] = {}
    for mode in BatteryMode:
        names[mode.value] = names[_normal(mode_label(mode))] = mode
    prefix = f"component.{DOMAIN}.entity.select.battery_mode.state."
    for language in LANGUAGES:
        translated = await async_get_translations(hass, language, "entity", [DOMAIN])
        for mode in BatteryMode:
            if name := translated.get(prefix + mode.value):
                names.setdefault(_normal(name), mode)
    if wanted in names:
        return names[wanted]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_mode",
        translation_placeholders={
            "mode": summary,
            "modes": ", ".join(mode_label(m) for m in BatteryMode),
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
        if name == ENTRY_ID:
            continue  # copied from an existing event: the new entry gets its own id
        if match is None or (name not in LIMIT_NAMES and name != "offline"):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_limit",
                translation_placeholders={"line": line.strip()[:60]},
            )
        values[name] = int(match.group(2)) != 0 if name == "offline" else int(match.group(2))
    return ScheduleLimits(**values)


def _event(entry: ScheduleEntry, start: datetime, end: datetime) -> CalendarEvent:
    mode = entry.mode
    return CalendarEvent(
        start=start,
        end=end,
        summary=mode_label(mode) if mode else f"Type {entry.type_code}",
        description=describe(entry),
        uid=str(entry.id),
    )


class HomevoltScheduleCalendar(HomevoltEntity[Schedule], CalendarEntity):
    """What the battery will do today and tomorrow."""

    _attr_supported_features = (
        CalendarEntityFeature.CREATE_EVENT | CalendarEntityFeature.DELETE_EVENT
    )

    def __init__(self, *args: Any) -> None:
        """Create the calendar; it remembers when it first saw an entry without a start."""
        super().__init__(*args)
        self._first_seen: dict[int, datetime] = {}
        # The events of the schedule last read: built once per read, not on every poll.
        self._built: tuple[Schedule | None, list[CalendarEvent]] = (None, [])

    def _start(self, entry: ScheduleEntry) -> datetime:
        # An entry without a start is drawn from when it was first seen: a fixed moment.
        if entry.start is not None:
            return entry.start
        return self._first_seen.setdefault(entry.id, dt_util.utcnow())

    def _events(self) -> list[CalendarEvent]:
        schedule = self.target
        if schedule is None:
            return []
        built_from, events = self._built
        if schedule is built_from:
            return events
        if schedule == built_from:  # read again, the same: its events stand
            self._built = (schedule, events)
            return events
        events = self._build(schedule)
        self._built = (schedule, events)
        return events

    def _build(self, schedule: Schedule) -> list[CalendarEvent]:
        starts = {entry.id: self._start(entry) for entry in schedule.entries}
        self._first_seen = {key: seen for key, seen in self._first_seen.items() if key in starts}
        events = []
        for entry in schedule.entries:
            start = starts[entry.id]
            end = entry.end
            if end is None:
                # Open-ended: until the next entry starts, else the schedule's last moment.
                last = max((e.end for e in schedule.entries if e.end), default=start)
                end = min(
                    (moment for moment in starts.values() if moment > start),
                    default=last if last > start else start + OPEN_END,
                )
            if end > start:
                events.append(_event(entry, start, end))
        return sorted(events, key=lambda e: e.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        now = dt_util.utcnow()
        for event in self._events():
            if event.end > now:  # aware moments compare as they are: no conversion per look
                return event
        return None

    def _shown(self) -> Any:
        # The whole event: its description carries the limits, which change on their own.
        return self.event

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
        mode = await parse_mode(self.hass, str(kwargs.get("summary", "")))
        limits = parse_limits(kwargs.get("description"))
        await self.control.add_entry(
            mode, as_moment(start, "dtstart"), as_moment(end, "dtend"), limits
        )

    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        if not _ENTRY_UID.match(uid):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_entry",
                translation_placeholders={"entry": uid[:40]},
            )
        await self.control.delete_entry(int(uid))


def _calendars_for(coordinator: HomevoltCoordinator) -> list[HomevoltEntity[Any]]:
    info = register_device(coordinator, system_device_info(coordinator))
    return [HomevoltScheduleCalendar(coordinator, SCHEDULE, info, "system", schedule_target)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the schedule calendar."""
    add_entities_as_found(entry, async_add_entities, _calendars_for)
