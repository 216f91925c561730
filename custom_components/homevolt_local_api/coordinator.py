"""Polling the Homevolt and mapping its errors to Home Assistant's."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import (
    EmsData,
    HomevoltAuthenticationError,
    HomevoltClient,
    HomevoltError,
    HomevoltTimeoutError,
    HomevoltUnsupportedError,
    normalize_ecu_id,
)
from .const import (
    DOMAIN,
    FOLLOW_UP_INTERVAL,
    LOGGER,
    OTA_ACTIVE_INTERVAL,
    OTA_INTERVAL,
    PARAMS_INTERVAL,
    RETRY_INTERVAL,
    SCAN_INTERVAL,
    SCHEDULE_INTERVAL,
    STALE_DEVICE_AFTER,
    STATUS_INTERVAL,
)
from .data import (
    HomevoltData,
    Layout,
    cluster_system_identifier,
    current_device_identifiers,
    keep_unchanged,
    layout_of,
)

# What the entry needs to be loaded correctly besides ems.json: the controls show the schedule.
# The other parts are read right after set-up (FOLLOW_UP_INTERVAL).
READ_AT_SET_UP = frozenset({"schedule"})
DEFERRED = frozenset({"status", "params", "firmware_updates"})

# A login back-off someone else caused ends by itself: retry, each time later, before asking
# the owner for a password that may well still be right.
LOGIN_RETRY_FIRST = timedelta(seconds=30)
LOGIN_GRACE = timedelta(minutes=5)

if TYPE_CHECKING:
    from .control import HomevoltControl


@dataclass(slots=True)
class HomevoltRuntime:
    """What a loaded entry holds: the poller and the one way to write."""

    coordinator: HomevoltCoordinator
    control: HomevoltControl


type HomevoltConfigEntry = ConfigEntry[HomevoltRuntime]


class LoginRefusals:
    """Tells a login back-off, which ends, from a password that is really refused."""

    def __init__(self) -> None:
        """Nothing refused yet."""
        self._first: datetime | None = None
        self._retry_at: datetime | None = None
        self._delay = LOGIN_RETRY_FIRST

    def waiting(self, now: datetime) -> bool:
        """Whether to leave the device alone for now (its back-off is still running)."""
        return self._retry_at is not None and now < self._retry_at

    def refused(self, now: datetime) -> bool:
        """Note a refusal; True once the password has been refused for the whole grace."""
        if self._first is None:
            self._first, self._delay = now, LOGIN_RETRY_FIRST
        elif now - self._first >= LOGIN_GRACE:
            return True
        else:
            self._delay *= 2
        self._retry_at = now + self._delay
        return False

    def accepted(self) -> None:
        """The password works (again)."""
        self._first = self._retry_at = None


# Per entry, with the password they were counted for: kept across set-up retries, so that a
# battery locking logins while Home Assistant starts is waited out as it is while running.
LOGIN_REFUSALS: HassKey[dict[str, tuple[object, LoginRefusals]]] = HassKey(
    f"{DOMAIN}_login_refusals"
)


def login_refusals(hass: HomeAssistant, entry: ConfigEntry) -> LoginRefusals:
    """The entry's refusals so far; a new password starts afresh."""
    known = hass.data.setdefault(LOGIN_REFUSALS, {})
    password = entry.data.get(CONF_PASSWORD)
    found = known.get(entry.entry_id)
    if found is None or found[0] != password:
        found = known[entry.entry_id] = (password, LoginRefusals())
    return found[1]


class HomevoltCoordinator(DataUpdateCoordinator[HomevoltData]):
    """Reads power and state on every update, and the slower parts on their own schedule.

    Requests go one at a time. A refused password asks the user for a new one (reauth) instead
    of feeding a wrong one into the device's login back-off, but only after retries spaced over
    LOGIN_GRACE still fail (also across set-up retries): the back-off may be someone else's.
    """

    config_entry: HomevoltConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HomevoltConfigEntry, client: HomevoltClient
    ) -> None:
        """Set up the coordinator for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=SCAN_INTERVAL,
            always_update=False,
        )
        self.client = client
        self._unsupported: set[str] = set()
        self._unreadable: set[str] = set()
        self._refusals = login_refusals(hass, entry)
        # Registry device id -> the first poll that no longer reported it; stored, so that a
        # restart does not start the count again.
        self._missing_since: dict[str, datetime] = {}
        self._missing_store = missing_devices_store(hass, entry.entry_id)
        self._failed_at: dict[str, datetime] = {}
        # Counts read-backs; a poll keeps any part read back after it started (newer).
        self._generation = 0
        self._read_back: dict[str, int] = {}
        self._missing_unsaved = False
        # The devices the last good poll described: worked out once, read by every platform.
        self.device_identifiers: frozenset[tuple[str, str]] = frozenset()
        # What decides which entities apply, and the data it was worked out from.
        self._layout = Layout()
        self._layout_data: HomevoltData | None = None
        # The schedule's next change, and the timer that reads the battery again then.
        self._change: datetime | None = None
        self._stop_change_timer: CALLBACK_TYPE | None = None

    @property
    def layout(self) -> Layout:
        """What decides which entities apply: a new object only when that changed.

        Worked out once per new data, whichever platform asks first.
        """
        data = self.data
        if data is not self._layout_data:
            self._layout_data = data
            layout = layout_of(data)
            if layout != self._layout:
                self._layout = layout
        return self._layout

    @callback
    def async_update_listeners(self) -> None:
        """After every refresh and read-back: follow the schedule's next change, then tell."""
        self._follow_schedule()
        super().async_update_listeners()

    def _follow_schedule(self) -> None:
        """Read the battery again when the entry in force changes, not a poll later.

        What the controls, the mode sensors and the next change show follows from the entry
        in force: between polls it would otherwise show the one that just ended as valid.
        """
        schedule = self.data.schedule if self.data is not None else None
        if schedule is None or self.config_entry.pref_disable_polling:
            self._set_change_timer(None)  # with polling off, the owner reads when they choose
        else:
            self._set_change_timer(schedule.next_change(dt_util.utcnow()))

    def _set_change_timer(self, change: datetime | None) -> None:
        if change == self._change:
            return
        if self._stop_change_timer is not None:
            self._stop_change_timer()
            self._stop_change_timer = None
        self._change = change
        if change is not None:
            self._stop_change_timer = async_track_point_in_utc_time(
                self.hass, self._schedule_changed, change
            )

    @callback
    def _schedule_changed(self, _now: datetime) -> None:
        self._stop_change_timer = self._change = None
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), "homevolt schedule change"
        )

    async def async_load_missing_devices(self) -> None:
        """Since when each device has been missing, as stored before a restart."""
        stored = await self._missing_store.async_load()
        if not isinstance(stored, dict):
            return
        for device_id, moment in stored.items():
            since = dt_util.parse_datetime(moment) if isinstance(moment, str) else None
            if since is not None:
                self._missing_since[str(device_id)] = since

    async def async_shutdown(self) -> None:
        """Write a pending save of the missing devices now, not after the entry is gone."""
        self._set_change_timer(None)
        await super().async_shutdown()
        if self._missing_unsaved:
            await self._missing_store.async_save(self._missing_devices())

    def _missing_devices(self) -> dict[str, str]:
        self._missing_unsaved = False
        return {key: since.isoformat() for key, since in self._missing_since.items()}

    def _due(self, part: str, interval: timedelta, now: datetime) -> bool:
        if part in self._unsupported:
            return False
        data: HomevoltData | None = self.data  # None until the first refresh
        if data is None:
            return part in READ_AT_SET_UP
        if part in self._failed_at:
            retry = min(interval, RETRY_INTERVAL) - timedelta(seconds=1)
            return now - self._failed_at[part] >= retry
        last = data.fetched.get(part)
        if last is None or now - last >= interval - timedelta(seconds=1):
            return True
        # The schedule is read again at once when its next change is due: what runs now shows.
        if part == "schedule" and data.schedule is not None:
            change = data.schedule.next_change(last)
            return change is not None and change <= now
        return False

    @staticmethod
    def _ota_interval(data: HomevoltData) -> timedelta:
        running = data.status is not None and data.status.ota_in_progress
        if running or any(update.in_progress for update in data.firmware_updates or ()):
            return OTA_ACTIVE_INTERVAL
        return OTA_INTERVAL

    async def _async_update_data(self) -> HomevoltData:
        started = self._generation
        now = dt_util.utcnow()
        previous: HomevoltData | None = self.data  # None until the first refresh
        # The follow-up right after set-up comes once; then the polls are as always (an interval
        # set by someone else, e.g. none, is left alone).
        if self.update_interval == FOLLOW_UP_INTERVAL:
            self.update_interval = SCAN_INTERVAL
        if self._refusals.waiting(now):
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="login_refused")
        try:
            ems = await self.client.ems()
            if previous is None:
                self._adopt_ids_read_as_hex(ems)
            else:
                ems = keep_unchanged(previous.ems, ems)
            data = (
                HomevoltData(
                    ems=ems, system_id=self._system_id(ems), fetched={"ems": now}, pending=DEFERRED
                )
                if previous is None
                else replace(previous, ems=ems, fetched={**previous.fetched, "ems": now})
            )
            # Only this integration registers the system device, and only for a cluster: the
            # registry needs asking once, at the first poll.
            if not data.cluster and (
                ems.is_cluster
                or ems.reported_leader is None  # followers reported without their leader
                or (previous is None and self._had_system_device(data.system_id))
            ):
                data = replace(data, cluster=True)
            for part, interval, read in (
                ("schedule", SCHEDULE_INTERVAL, self.client.schedule),
                ("status", STATUS_INTERVAL, self.client.status),
                ("params", PARAMS_INTERVAL, self.client.params),
                ("firmware_updates", self._ota_interval(data), self.client.ota_manifest),
            ):
                if not self._due(part, interval, now):
                    continue
                value: Any
                try:
                    value = await read()
                except HomevoltAuthenticationError:
                    raise
                except HomevoltError as err:
                    if isinstance(err, HomevoltUnsupportedError) and part not in data.fetched:
                        LOGGER.debug("%s is not offered by this firmware", part)
                        self._unsupported.add(part)
                        if part in data.pending:
                            data = replace(data, pending=data.pending - {part})
                        continue
                    # An endpoint that answered before and is missing now is a fault, not a
                    # feature this unit lacks: treated like any other failed read.
                    # One failing endpoint must not take the battery's sensors down with it:
                    # what it describes is unavailable until it reads well again.
                    if part not in self._unreadable:
                        LOGGER.warning("Ignoring %s until it can be read: %s", part, err)
                        self._unreadable.add(part)
                    self._failed_at[part] = now
                    failed: dict[str, Any] = {
                        part: None,
                        "unreadable": frozenset(self._unreadable),
                        "pending": data.pending - {part},
                    }
                    data = replace(data, **failed)
                    if isinstance(err, HomevoltTimeoutError):
                        break  # a hung device: the rest waits for the next poll, on time
                    continue
                if part in self._unreadable:
                    LOGGER.info("%s can be read again", part)
                    self._unreadable.discard(part)
                self._failed_at.pop(part, None)
                updates: dict[str, Any] = {
                    part: value,
                    "fetched": {**data.fetched, part: now},
                    "unreadable": frozenset(self._unreadable),
                    "pending": data.pending - {part},
                }
                data = replace(data, **updates)
        except HomevoltAuthenticationError as err:
            if self._refusals.refused(now):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from err
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="login_refused") from err
        except HomevoltError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._refusals.accepted()
        if previous is None and data.pending and self.update_interval == SCAN_INTERVAL:
            self.update_interval = FOLLOW_UP_INTERVAL
        missing = self._remove_stale_devices(data, now)
        if missing != data.units_missing:
            data = replace(data, units_missing=missing)
        return self._with_newer_read_backs(data, started)

    def _with_newer_read_backs(self, data: HomevoltData, started: int) -> HomevoltData:
        """The poll's data, except parts a write read back while the poll was running."""
        newer = [part for part, generation in self._read_back.items() if generation > started]
        if not newer or self.data is None:
            return data
        current = self.data
        return replace(
            data,
            **{part: getattr(current, part) for part in newer},
            fetched={**data.fetched, **{part: current.fetched[part] for part in newer}},
            pending=data.pending - set(newer),
        )

    def show_read_back(self, **parts: Any) -> None:
        """Show what the device read back after a write (schedule= or params=) at once."""
        self._generation += 1
        self._read_back.update(dict.fromkeys(parts, self._generation))
        if self.data is not None:
            now = dt_util.utcnow()
            fetched = {**self.data.fetched, **dict.fromkeys(parts, now)}
            pending = self.data.pending - parts.keys()
            self.async_set_updated_data(
                replace(self.data, **parts, fetched=fetched, pending=pending)
            )

    def _adopt_ids_read_as_hex(self, ems: EmsData) -> None:
        """Give back their ids to units whose old decimal id the 1.2 migration read as hex.

        A unit id below 0x00e8d4a51000 has 12 decimal digits or fewer, which read as hex too
        ("935099353672" is 00d9b843ca48); only the ids the battery sends tell which was meant.
        """
        renames: dict[str, str] = {}
        for unit in ems.units:
            try:
                misread = normalize_ecu_id(str(int(unit.ecu_id, 16)))
            except ValueError:
                continue  # not hex: never stored as a number
            if misread != unit.ecu_id and ems.unit(misread) is None:
                renames[misread] = unit.ecu_id
        if not renames:
            return

        def fixed(value: str) -> str:
            return "_".join(renames.get(part, part) for part in value.split("_"))

        entry = self.config_entry
        devices = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            identifiers = {
                (domain, fixed(value) if domain == DOMAIN else value)
                for domain, value in device.identifiers
            }
            if identifiers != device.identifiers and not any(
                devices.async_get_device_by_identifier(identifier, entry.entry_id)
                for identifier in identifiers - device.identifiers
            ):
                devices.async_update_device(device.id, new_identifiers=identifiers)
        entities = er.async_get(self.hass)
        for entity in er.async_entries_for_config_entry(entities, entry.entry_id):
            unique_id = fixed(entity.unique_id)
            if unique_id != entity.unique_id and not entities.async_get_entity_id(
                entity.domain, DOMAIN, unique_id
            ):
                entities.async_update_entity(entity.entity_id, new_unique_id=unique_id)
        entry_id = renames.get(entry.unique_id or "")
        if entry_id and not self.hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, entry_id
        ):
            self.hass.config_entries.async_update_entry(entry, unique_id=entry_id)
        LOGGER.info("Unit ids of an earlier version read back: %s", renames)

    def _system_id(self, ems: EmsData) -> str:
        """The entry's id (its leader at set-up), which every unique id starts with.

        An entry id that is no unit of this system (reported or registered) is not trusted:
        the leader's id is used then, as before. While the leader is left out of the read, the
        entry id is the best word on which unit leads (the first unit reported is a follower).
        """
        unique_id = normalize_ecu_id(self.config_entry.unique_id or "")
        registry = dr.async_get(self.hass)
        if unique_id and (
            ems.reported_leader is None
            or ems.unit(unique_id) is not None
            or registry.async_get_device_by_identifier(
                (DOMAIN, unique_id), self.config_entry.entry_id
            )
        ):
            return unique_id
        return ems.leader.ecu_id

    def _had_system_device(self, system_id: str) -> bool:
        """Whether an earlier run saw a cluster: its system device is registered."""
        registry = dr.async_get(self.hass)
        return (
            registry.async_get_device_by_identifier(
                cluster_system_identifier(system_id), self.config_entry.entry_id
            )
            is not None
        )

    def _remove_stale_devices(self, data: HomevoltData, now: datetime) -> frozenset[str]:
        """Remove devices (units, modules, clamps) the system has not reported for a long time.

        Until then their entities are only unavailable, and back at the first poll that
        reports them: a mesh hiccup or a unit in service must not cost an owner its history.
        Returns the ids of the units still waiting.
        """
        registry = dr.async_get(self.hass)
        current = frozenset(current_device_identifiers(data))
        if current != self.device_identifiers:
            self.device_identifiers = current  # a new object only when the devices changed
        before = dict(self._missing_since) if self._missing_since else None
        devices = dr.async_entries_for_config_entry(registry, self.config_entry.entry_id)
        if before:
            # Forget devices the owner deleted meanwhile.
            for device_id in before.keys() - {device.id for device in devices}:
                del self._missing_since[device_id]
        missing_units: set[str] = set()
        for device in devices:
            if device.identifiers & current:
                self._missing_since.pop(device.id, None)
                continue
            since = self._missing_since.setdefault(device.id, now)
            if now - since >= STALE_DEVICE_AFTER:
                LOGGER.info(
                    "Removing %s: the battery has not reported it since %s", device.name, since
                )
                del self._missing_since[device.id]
                registry.async_remove_device(device.id)
                continue
            missing_units.update(
                value
                for domain, value in device.identifiers
                if domain == DOMAIN and "_" not in value  # a unit's identifier is its bare id
            )
        if self._missing_since != (before or {}):
            self._missing_unsaved = True
            self._missing_store.async_delay_save(self._missing_devices, MISSING_SAVE_DELAY)
        return frozenset(missing_units)


# Saves of the missing devices are coalesced: they change only when a device comes or goes.
MISSING_SAVE_DELAY = 10


def missing_devices_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, str]]:
    """Where an entry keeps since when each of its devices has been missing."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.missing_devices")
