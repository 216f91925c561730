"""Wire-level constants of the Homevolt local API and the enums exposed to users of the client."""

from enum import StrEnum
import re
from typing import Final

USERNAME: Final = "admin"

PATH_EMS: Final = "/ems.json"
PATH_STATUS: Final = "/status.json"
PATH_SCHEDULE: Final = "/schedule.json"
PATH_PARAMS: Final = "/params.json"
PATH_ERROR_REPORT: Final = "/error_report.json"
PATH_CONSOLE: Final = "/console.json"
PATH_OTA_MANIFEST: Final = "/ota_manifest.json"

# Connect quickly, but give a busy ESP32 on a weak link time to answer.
CONNECT_TIMEOUT: Final = 5.0
READ_TIMEOUT: Final = 20.0
# The whole request (connect, answer and the one retry of a read) ends by then, however slowly
# the body trickles in: a poll or an action never waits longer behind one request.
REQUEST_DEADLINE: Final = 20.0

# The largest real answer (a two-unit cluster's ems.json) is about 13 KiB and params.json a few
# KiB; 4 MiB is far above any cluster and far below what could hurt Home Assistant's memory.
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
# Real answers nest 6 levels deep; deeper ones are refused before anything walks them.
MAX_JSON_DEPTH: Final = 32

# schedule.json's id for schedules written locally; the cloud uses a UUID.
LOCAL_SCHEDULE_ID: Final = "Manual Schedule"

PARAM_LOCAL_MODE: Final = "settings_local"
PARAM_MIN_SOC: Final = "battery_min_soc"

CONSOLE_SUCCESS: Final = re.compile(r"Command '.*' executed successfully")
CONSOLE_FAILURE: Final = re.compile(r"non-zero error code")

# Grid import and export limits are not bounded by the battery; this only catches typos.
MAX_GRID_LIMIT: Final = 100_000


class BatteryMode(StrEnum):
    """What the battery is told to do: a schedule entry's type."""

    IDLE = "idle"
    INVERTER_CHARGE = "inverter_charge"
    INVERTER_DISCHARGE = "inverter_discharge"
    GRID_CHARGE = "grid_charge"
    GRID_DISCHARGE = "grid_discharge"
    GRID_CHARGE_DISCHARGE = "grid_charge_discharge"
    FREQUENCY_RESERVE = "frequency_reserve"
    SOLAR_CHARGE = "solar_charge"
    SOLAR_CHARGE_DISCHARGE = "solar_charge_discharge"
    FULL_SOLAR_EXPORT = "full_solar_export"

    @property
    def code(self) -> int:
        """The schedule type number the device uses."""
        return _MODE_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> BatteryMode | None:
        """The mode for a schedule type number, or None for a type this client does not know."""
        return _CODE_MODES.get(code)

    @property
    def signed_setpoint(self) -> bool:
        """Whether the setpoint may be negative (grid charge/discharge: + import, - export)."""
        return self is BatteryMode.GRID_CHARGE_DISCHARGE


_MODE_CODES: Final = {mode: index for index, mode in enumerate(BatteryMode)}
_CODE_MODES: Final = {index: mode for mode, index in _MODE_CODES.items()}


class SensorFunction(StrEnum):
    """What a CT clamp (or virtual sensor) measures."""

    GRID = "grid"
    SOLAR = "solar"
    LOAD = "load"
    BATTERY = "battery"
    UNSPECIFIED = "unspecified"


class ScheduleSource(StrEnum):
    """Who wrote the schedule the device follows."""

    LOCAL = "local"
    REMOTE = "remote"


class OtaState(StrEnum):
    """Where a firmware update stands (ota_manifest.json `state`, IDLE … ERROR on the wire)."""

    IDLE = "idle"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    INSTALLING = "installing"
    COMPLETE = "complete"
    ERROR = "error"
    UNKNOWN = "unknown"
