"""The one builder of console commands: validated numbers and enums in, a command string out.

The grammar is the device's own `help` output (argtable): `sched_set [-o] <type> [--min=<min>]
[--max=<max>] [-s <setpoint>] [-c <max_charge>] [-d <max_discharge>] [-l <import_limit>]
[-x <export_limit>]`, and `sched_add` takes the same plus `--from=` and `--to=`
(YYYY-MM-DDTHH:mm:ss, the device's local time). Nothing else ever reaches the console.
"""

from datetime import datetime

from .const import MAX_GRID_LIMIT, BatteryMode
from .exceptions import HomevoltValidationError
from .models import ScheduleLimits

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HomevoltValidationError(f"{name} must be a whole number, got {value!r}")
    return value


def _check_range(name: str, value: int | None, low: int, high: int, unit: str) -> None:
    if value is None:
        return
    _whole(name, value)
    if not low <= value <= high:
        raise HomevoltValidationError(
            f"{name} must be between {low} and {high} {unit}, got {value}"
        )


def validate_limits(mode: BatteryMode, limits: ScheduleLimits, rated_power: int) -> None:
    """Raise HomevoltValidationError unless the limits suit the mode and this system."""
    if not isinstance(mode, BatteryMode):
        raise HomevoltValidationError(f"unknown battery mode {mode!r}")
    if isinstance(rated_power, bool) or not isinstance(rated_power, int) or rated_power <= 0:
        raise HomevoltValidationError(f"the system's rated power is unknown ({rated_power!r})")
    low = -rated_power if mode.signed_setpoint else 0
    _check_range("setpoint", limits.setpoint, low, rated_power, "W")
    _check_range("max_charge", limits.max_charge, 0, rated_power, "W")
    _check_range("max_discharge", limits.max_discharge, 0, rated_power, "W")
    _check_range("min_soc", limits.min_soc, 0, 100, "%")
    _check_range("max_soc", limits.max_soc, 0, 100, "%")
    _check_range("import_limit", limits.import_limit, 0, MAX_GRID_LIMIT, "W")
    _check_range("export_limit", limits.export_limit, 0, MAX_GRID_LIMIT, "W")
    if (
        limits.min_soc is not None
        and limits.max_soc is not None
        and limits.min_soc > limits.max_soc
    ):
        raise HomevoltValidationError(
            f"min_soc ({limits.min_soc} %) must not be above max_soc ({limits.max_soc} %)"
        )
    if not isinstance(limits.offline, bool):
        raise HomevoltValidationError(f"offline must be true or false, got {limits.offline!r}")


def _flags(limits: ScheduleLimits) -> list[str]:
    parts: list[str] = []
    if limits.offline:
        parts.append("-o")
    if limits.min_soc is not None:
        parts.append(f"--min={limits.min_soc}")
    if limits.max_soc is not None:
        parts.append(f"--max={limits.max_soc}")
    for flag, value in (
        ("-s", limits.setpoint),
        ("-c", limits.max_charge),
        ("-d", limits.max_discharge),
        ("-l", limits.import_limit),
        ("-x", limits.export_limit),
    ):
        if value is not None:
            parts.append(f"{flag} {value}")
    return parts


def _local_time(name: str, value: datetime) -> str:
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise HomevoltValidationError(f"{name} must be a naive device-local datetime")
    return value.strftime(_TIME_FORMAT)


def sched_set(mode: BatteryMode, limits: ScheduleLimits, rated_power: int) -> str:
    """Replace the schedule with one entry starting now, with no end."""
    validate_limits(mode, limits, rated_power)
    return " ".join(["sched_set", str(mode.code), *_flags(limits)])


def sched_add(
    mode: BatteryMode,
    start: datetime,
    end: datetime,
    limits: ScheduleLimits,
    rated_power: int,
) -> str:
    """Add a time window; start and end are naive datetimes in the device's local time."""
    validate_limits(mode, limits, rated_power)
    start_text, end_text = _local_time("start", start), _local_time("end", end)
    if end <= start:
        raise HomevoltValidationError("the end of a schedule entry must be after its start")
    return " ".join(
        ["sched_add", str(mode.code), f"--from={start_text}", f"--to={end_text}", *_flags(limits)]
    )


def sched_del(entry_id: int) -> str:
    """Delete one schedule entry."""
    _check_range("entry_id", _whole("entry_id", entry_id), 0, 2**31 - 1, "")
    return f"sched_del {entry_id}"


def sched_clear() -> str:
    """Delete every schedule entry."""
    return "sched_clear"
