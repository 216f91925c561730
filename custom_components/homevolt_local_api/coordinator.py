"""Polling the Homevolt and mapping its errors to Home Assistant's."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    EmsData,
    ErrorReportItem,
    HomevoltAuthenticationError,
    HomevoltClient,
    HomevoltError,
    HomevoltResponseError,
    HomevoltUnsupportedError,
    Parameters,
    Schedule,
    Status,
)
from .const import (
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    ERROR_REPORT_INTERVAL,
    LOGGER,
    PARAMS_INTERVAL,
    SCHEDULE_INTERVAL,
    STATUS_INTERVAL,
)

if TYPE_CHECKING:
    from .control import HomevoltControl


@dataclass(slots=True)
class HomevoltRuntime:
    """What a loaded entry holds: the poller and the one way to write."""

    coordinator: HomevoltCoordinator
    control: HomevoltControl


type HomevoltConfigEntry = ConfigEntry[HomevoltRuntime]


@dataclass(frozen=True, slots=True, kw_only=True)
class HomevoltData:
    """Everything read from the device, each part as fresh as its polling tier."""

    ems: EmsData
    status: Status | None = None
    schedule: Schedule | None = None
    params: Parameters | None = None
    error_report: tuple[ErrorReportItem, ...] | None = None
    fetched: dict[str, datetime] = field(default_factory=dict)

    @property
    def system_id(self) -> str:
        """The identity of the whole system: the leader unit's id."""
        return self.ems.leader.ecu_id


class HomevoltCoordinator(DataUpdateCoordinator[HomevoltData]):
    """Reads power and state on every update, and the slower parts on their own schedule.

    Requests go one at a time. An authentication failure stops polling and asks the user for
    the password (reauth) instead of feeding a wrong one into the device's login back-off.
    """

    config_entry: HomevoltConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HomevoltConfigEntry, client: HomevoltClient
    ) -> None:
        """Set up the coordinator for one config entry."""
        seconds = entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=timedelta(seconds=seconds),
            always_update=False,
        )
        self.client = client
        self._unsupported: set[str] = set()
        self._unreadable: set[str] = set()
        # Counts read-backs; a poll keeps any part read back after it started (newer).
        self._generation = 0
        self._read_back: dict[str, int] = {}

    def _due(self, part: str, interval: timedelta, now: datetime) -> bool:
        if part in self._unsupported:
            return False
        data: HomevoltData | None = self.data  # None until the first refresh
        if data is None:
            return True
        last = data.fetched.get(part)
        return last is None or now - last >= interval - timedelta(seconds=1)

    async def _async_update_data(self) -> HomevoltData:
        started = self._generation
        now = dt_util.utcnow()
        previous = self.data
        try:
            ems = await self.client.ems()
            data = (
                HomevoltData(ems=ems, fetched={"ems": now})
                if previous is None
                else replace(previous, ems=ems, fetched={**previous.fetched, "ems": now})
            )
            for part, interval, read in (
                ("schedule", SCHEDULE_INTERVAL, self.client.schedule),
                ("status", STATUS_INTERVAL, self.client.status),
                ("error_report", ERROR_REPORT_INTERVAL, self.client.error_report),
                ("params", PARAMS_INTERVAL, self.client.params),
            ):
                if not self._due(part, interval, now):
                    continue
                value: Any
                try:
                    value = await read()
                except HomevoltUnsupportedError:
                    LOGGER.debug("%s is not offered by this firmware", part)
                    self._unsupported.add(part)
                    continue
                except HomevoltResponseError as err:
                    # One odd endpoint must not take the battery's sensors down with it: what
                    # it describes becomes unknown until it reads well again.
                    if part not in self._unreadable:
                        LOGGER.warning("Ignoring %s until it can be read: %s", part, err)
                        self._unreadable.add(part)
                    value = None
                else:
                    if part in self._unreadable:
                        LOGGER.info("%s can be read again", part)
                        self._unreadable.discard(part)
                updates: dict[str, Any] = {part: value, "fetched": {**data.fetched, part: now}}
                data = replace(data, **updates)
        except HomevoltAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HomevoltError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._remove_stale_devices(data)
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
        )

    def show_read_back(self, **parts: Any) -> None:
        """Show what the device read back after a write (schedule= or params=) at once."""
        self._generation += 1
        self._read_back.update(dict.fromkeys(parts, self._generation))
        if self.data is not None:
            now = dt_util.utcnow()
            fetched = {**self.data.fetched, **dict.fromkeys(parts, now)}
            self.async_set_updated_data(replace(self.data, **parts, fetched=fetched))

    def _remove_stale_devices(self, data: HomevoltData) -> None:
        """Detach devices (units, modules, clamps) the system no longer reports."""
        from .entity import current_device_identifiers  # noqa: PLC0415 - avoids a cycle

        registry = dr.async_get(self.hass)
        current = current_device_identifiers(data)
        for device in dr.async_entries_for_config_entry(registry, self.config_entry.entry_id):
            if not device.identifiers & current:
                LOGGER.debug("Removing stale device %s", device.name)
                registry.async_update_device(
                    device.id, remove_config_entry_id=self.config_entry.entry_id
                )
