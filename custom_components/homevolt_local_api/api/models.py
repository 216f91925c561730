"""Typed models of the Homevolt local API, parsed from its JSON in SI-ish units.

Units: power in W, capacities in Wh, energy counters in kWh, temperatures in °C, voltages in V,
frequency in Hz, state of charge in %. Signs: battery + = discharging, grid + = importing,
solar + = producing, house + = consuming.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import math
import re

from .const import (
    LOCAL_SCHEDULE_ID,
    PARAM_MIN_SOC,
    BatteryMode,
    OtaState,
    ScheduleSource,
    SensorFunction,
)
from .exceptions import HomevoltResponseError

type Json = object
type Field = tuple[str, float, float, float]
"""A number's key, the scale to its model unit, and the range (scaled) it must fall in."""

_LOGGER = logging.getLogger(__name__)

# A millisecond timestamp is larger than any second timestamp this century.
_MS_THRESHOLD = 100_000_000_000
# Device clocks: anything outside these years is a broken clock or a broken field.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)

# Physical ranges, in the model's units, of what a home battery can report.
SOC = (0.0, 100.0)
FREQUENCY = (45.0, 65.0)
TEMPERATURE = (-50.0, 150.0)
VOLTAGE = (0.0, 1000.0)
CURRENT = (-1000.0, 1000.0)
POWER_FACTOR = (-1.0, 1.0)
SIGNAL = (-200.0, 50.0)
PERCENT = (0.0, 100.0)
CLAMP_POWER = (-1_000_000.0, 1_000_000.0)
"""W through a CT clamp: a house connection, not the battery, bounds it."""
UNIT_POWER = (0.0, 100_000.0)
"""W a single unit can be rated for."""
UNIT_CAPACITY = (0.0, 1_000_000.0)
"""Wh a unit or module can hold."""
COUNTER = (0.0, 1e9)
"""kWh of a lifetime counter."""
CYCLES = (0, 1_000_000)
WHOLE = (-(2**53), 2**53)
"""Any integer a JSON number can carry exactly."""
UPTIME_MS = (0.0, 100 * 365.25 * 86_400_000)
# Power through a unit may exceed its rating briefly, never by this much.
POWER_MARGIN = 1.5


class Plausibility:
    """Which fields read outside their physical range, so each is warned about once.

    A field is warned about when it first reads implausibly, and again only after it has read
    well in between. The client keeps one per device.
    """

    def __init__(self) -> None:
        """Start with every field plausible."""
        self._implausible: set[str] = set()

    def passed(self, path: str, key: str) -> None:
        """A field read well: warn again if it reads implausibly later."""
        # Most reads pass while nothing is implausible: then there is no name to build.
        if self._implausible:
            self._implausible.discard(f"{path}.{key}")

    def check(self, field: str, value: float, low: float, high: float) -> float | None:
        """The value when it is finite and in [low, high]; else None, warned about once."""
        if math.isfinite(value) and low <= value <= high:
            self._implausible.discard(field)
            return value + 0.0  # -0.0 would be shown as "-0"
        if field not in self._implausible:
            self._implausible.add(field)
            _LOGGER.warning(
                "Ignoring %s: %s is outside %s to %s; it is unknown until it reads well again",
                field,
                _show(value),
                _show(low),
                _show(high),
            )
        return None

    def wrong_type(self, field: str, expected: str, value: object) -> None:
        """None for a value of the wrong type (text or a boolean for a number), warned once."""
        if field not in self._implausible:
            self._implausible.add(field)
            _LOGGER.warning(
                "Ignoring %s: expected %s, got %s; it is unknown until it reads well again",
                field,
                expected,
                _describe(value),
            )

    @property
    def implausible(self) -> frozenset[str]:
        """The fields that read implausibly last time."""
        return frozenset(self._implausible)


def _show(value: float) -> str:
    return f"{value:.6g}"


def _as_float(value: float) -> float:
    """A JSON number as a float; an integer too large for one is infinite (out of any range)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Obj:
    """A JSON object read with its path, so that every error names the field at fault."""

    __slots__ = ("_data", "checker", "path")

    def __init__(self, data: Json, path: str, checker: Plausibility) -> None:
        if not isinstance(data, dict):
            raise HomevoltResponseError(f"{path}: expected an object, got {_describe(data)}")
        self._data: dict[str, Json] = data
        self.path = path
        self.checker = checker

    def _fail(self, key: str, expected: str, value: Json) -> HomevoltResponseError:
        return HomevoltResponseError(
            f"{self.path}.{key}: expected {expected}, got {_describe(value)}"
        )

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def opt_num(
        self, key: str, scale: float = 1.0, *, valid: tuple[float, float] = (-math.inf, math.inf)
    ) -> float | None:
        """A number, scaled; None when missing or outside `valid` (in the scaled unit)."""
        return self.nums(((key, scale, valid[0], valid[1]),))[0]

    def nums(self, table: tuple[Field, ...]) -> list[float | None]:
        """Several numbers at once, each read as opt_num reads one (the bulk of every poll).

        One call per object, not per value: a poll reads about a hundred numbers.
        """
        data = self._data
        # Read here, not through passed(): most numbers pass while nothing is implausible.
        implausible = self.checker._implausible
        found: list[float | None] = []
        for key, scale, low, high in table:
            value = data.get(key)
            if value is None:
                found.append(None)
            elif isinstance(value, (float, int)) and value is not True and value is not False:
                # Scales are positive: an infinite or NaN value stays what it was.
                try:
                    number = value * scale
                except OverflowError:  # an integer too large for a float: out of any range
                    number = math.inf if value > 0 else -math.inf
                if low <= number <= high and math.isfinite(number):
                    if implausible:
                        implausible.discard(f"{self.path}.{key}")
                    found.append(number + 0.0)  # -0.0 reads as 0, never "-0"
                else:
                    found.append(self.checker.check(f"{self.path}.{key}", number, low, high))
            else:
                # A bool or text: unknown, warned once; one such value does not lose the answer.
                self.checker.wrong_type(f"{self.path}.{key}", "a number", value)
                found.append(None)
        return found

    def raw_num(self, key: str) -> float | None:
        """A number as sent, not yet checked against a range (may be infinite)."""
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            # One measurement of the wrong type loses that value, not the whole answer.
            self.checker.wrong_type(f"{self.path}.{key}", "a number", value)
            return None
        return _as_float(value)

    def num(
        self, key: str, scale: float = 1.0, *, valid: tuple[float, float] = (-math.inf, math.inf)
    ) -> float | None:
        """A number that must be there; None only when it is outside `valid`."""
        if self._data.get(key) is None:
            raise self._fail(key, "a number", None)
        return self.opt_num(key, scale, valid=valid)

    def opt_int(self, key: str, *, valid: tuple[int, int] = WHOLE) -> int | None:
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.checker.wrong_type(f"{self.path}.{key}", "a whole number", value)
            return None
        if isinstance(value, float) and not value.is_integer():
            raise self._fail(key, "a whole number", value)
        number = _as_float(value)
        low, high = valid
        if low <= number <= high and math.isfinite(number):
            self.checker.passed(self.path, key)
        elif self.checker.check(f"{self.path}.{key}", number, low, high) is None:
            return None
        return int(value)

    def int_(self, key: str, *, valid: tuple[int, int] = WHOLE) -> int:
        """A whole number that must be there and in range: an id or a type."""
        value = self._data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(key, "a whole number", value)  # an id or type: never guessed
        number = self.opt_int(key, valid=valid)
        if number is None:
            raise self._fail(key, "a whole number in range", value)
        return number

    def opt_str(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(key, "a string", value)
        return value

    def str_(self, key: str) -> str:
        value = self.opt_str(key)
        if value is None:
            raise self._fail(key, "a string", None)
        return value

    def opt_id(self, key: str) -> str | None:
        """An identifier that some firmware sends as a number and some as a string."""
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self._fail(key, "an identifier", value)

    def id_(self, key: str) -> str:
        value = self.opt_id(key)
        if not value:
            raise self._fail(key, "an identifier", None)
        return value

    def ecu_id(self, key: str) -> str:
        """A unit's id, normalised: the form depends on the firmware, the unit does not."""
        value = self._data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return normalize_ecu_id(value)
        return normalize_ecu_id(self.id_(key))

    def opt_bool(self, key: str) -> bool | None:
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self._fail(key, "a boolean", value)

    def opt_obj(self, key: str) -> _Obj | None:
        value = self._data.get(key)
        return None if value is None else _Obj(value, f"{self.path}.{key}", self.checker)

    def obj(self, key: str) -> _Obj:
        value = self.opt_obj(key)
        if value is None:
            raise self._fail(key, "an object", None)
        return value

    def opt_list(self, key: str) -> list[Json] | None:
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._fail(key, "a list", value)
        return value

    def objs(self, key: str, *, required: bool = False) -> list[_Obj]:
        items = self.opt_list(key)
        if items is None:
            if required:
                raise self._fail(key, "a list", None)
            return []
        return [
            _Obj(item, f"{self.path}.{key}[{index}]", self.checker)
            for index, item in enumerate(items)
        ]

    def strs(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if isinstance(value, str):
            return (value,) if value else ()  # some firmware sends one name, not a list
        items = self.opt_list(key) or []
        for item in items:
            if not isinstance(item, str):
                raise self._fail(key, "a list of strings", item)
        return tuple(str(item) for item in items)


def normalize_ecu_id(value: str | int) -> str:
    """A unit's id in one form: 12-digit lowercase hex (58109703998024 == "34d9b843ca48").

    Older firmware sends the number, the documented firmware its hex. Text of digits only that
    is too long for 12 hex digits is the decimal form (as stored by earlier versions of this
    integration); other text that is not hex is kept, lowercased.
    """
    if isinstance(value, int):
        return f"{value:012x}"
    text = value.strip().lower().removeprefix("0x")
    if text.isdigit() and len(text) > 12:
        return f"{int(text):012x}"
    try:
        return f"{int(text, 16):012x}"
    except ValueError:
        return text


def _root_list(data: Json, path: str, checker: Plausibility) -> list[_Obj]:
    if not isinstance(data, list):
        raise HomevoltResponseError(f"{path}: expected a list, got {_describe(data)}")
    return [_Obj(item, f"{path}[{index}]", checker) for index, item in enumerate(data)]


_FIRST_SECOND = _EARLIEST.timestamp()
_LAST_SECOND = _LATEST.timestamp()


def _timestamp(obj: _Obj, key: str) -> datetime | None:
    """A device timestamp (seconds or milliseconds since the epoch); 0 means none."""
    value = obj.raw_num(key)
    if value is None or value == 0:
        return None
    seconds = value / 1000 if abs(value) >= _MS_THRESHOLD else value
    if _FIRST_SECOND <= seconds <= _LAST_SECOND:
        obj.checker.passed(obj.path, key)
        return datetime.fromtimestamp(seconds, UTC)
    obj.checker.check(f"{obj.path}.{key}", seconds, _FIRST_SECOND, _LAST_SECOND)  # warns
    return None


def _frequency(obj: _Obj, key: str, scale: float = 1.0) -> float | None:
    """Mains frequency in Hz; 0 is what firmware sends when it does not measure it."""
    if obj.raw_num(key) == 0:
        return None
    return obj.opt_num(key, scale, valid=FREQUENCY)


def _sum(values: Iterable[float | None]) -> float | None:
    """The sum of the values, or None when there are none or any is unknown."""
    total = 0.0
    seen = False
    for value in values:
        if value is None:
            return None
        total += value
        seen = True
    return total if seen else None


# --------------------------------------------------------------------------------------------
# ems.json


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryModule:
    """One battery module (BMS) of a unit."""

    index: int
    serial_number: str | None
    firmware: str | None
    battery_type: str | None
    rated_capacity: float | None
    """Wh."""
    state_of_charge: float | None
    """%."""
    energy_available: float | None
    """Wh left in this module."""
    cycle_count: int | None
    state: str | None
    alarms: tuple[str, ...]
    min_temperature: float | None
    """°C."""
    max_temperature: float | None
    """°C."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Voltages:
    """Mains voltages seen by a unit, in V."""

    l1: float | None
    l2: float | None
    l3: float | None
    l1_l2: float | None
    l2_l3: float | None
    l3_l1: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One Homevolt unit (ECU) of a system; the first is the leader the client talks to."""

    ecu_id: str
    host: str | None
    """Where the leader reaches a follower; None for the leader."""
    is_leader: bool
    model: str | None
    firmware: str | None
    inverter_serial_number: str | None
    inverter_firmware: str | None
    error_code: int | None
    error_text: str | None
    operating_state: str | None
    system_state: str | None
    info: tuple[str, ...]
    warnings: tuple[str, ...]
    alarms: tuple[str, ...]
    rated_capacity: float | None
    """Wh."""
    rated_power: float | None
    """W."""
    state_of_charge: float | None
    """%. None only for a unit in fault that does not report it."""
    power: float | None
    """W, + = discharging, - = charging. None only for a unit in fault that does not report it."""
    frequency: float | None
    """Hz."""
    temperature: float | None
    """°C."""
    usable_capacity: float | None
    """Wh the modules can hold now; falls as the battery ages."""
    discharged_energy: float | None
    """kWh, lifetime."""
    charged_energy: float | None
    """kWh, lifetime."""
    counter_source: str | None
    """Where the lifetime counters were read: "ems_data" or "ems_aggregate" (another counter
    of the battery's, which disagrees with the first on some firmware); None without them."""
    available_charge_power: float | None
    available_discharge_power: float | None
    available_charge_energy: float | None
    """Wh."""
    available_discharge_energy: float | None
    """Wh."""
    voltages: Voltages | None
    modules: tuple[BatteryModule, ...]

    @property
    def state_of_health(self) -> float | None:
        """Usable capacity as a % of rated capacity: an estimate of the battery's health."""
        if not self.usable_capacity or not self.rated_capacity:
            return None
        return min(100.0, 100.0 * self.usable_capacity / self.rated_capacity)

    @property
    def charge_power(self) -> float | None:
        """W flowing into the battery (never negative)."""
        return None if self.power is None else max(0.0, -self.power)

    @property
    def discharge_power(self) -> float | None:
        """W flowing out of the battery (never negative)."""
        return None if self.power is None else max(0.0, self.power)

    @property
    def is_faulted(self) -> bool:
        """Whether the unit reports a fault: its error code, operating or system state."""
        return bool(self.error_code) or "fault" in (
            (self.operating_state or "").lower(),
            (self.system_state or "").lower(),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase:
    """One phase of a CT clamp."""

    voltage: float | None
    """V."""
    current: float | None
    """A."""
    power: float | None
    """W."""
    power_factor: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CtSensor:
    """A CT clamp or virtual sensor: grid, solar, house load or a unit's own meter."""

    function: SensorFunction
    euid: str
    node_id: int | None
    available: bool
    rssi: float | None
    average_rssi: float | None
    packet_delivery: float | None
    """%."""
    phases: tuple[Phase, ...]
    frequency: float | None
    total_power: float | None
    """W, in the device's sign for this function; None while implausible."""
    energy_imported: float | None
    """kWh."""
    energy_exported: float | None
    """kWh."""
    timestamp: datetime | None

    @property
    def key(self) -> str:
        """A stable identity: function and euid (order and type differ between firmwares)."""
        return f"{self.function}_{self.euid}"

    @property
    def is_empty_slot(self) -> bool:
        """An unassigned CT slot of older firmware (euid all zeros): not a clamp at all."""
        return self.function is SensorFunction.UNSPECIFIED and not self.euid.strip("0")


@dataclass(frozen=True, slots=True, kw_only=True)
class EmsData:
    """ems.json: every unit of the system and every sensor, with derived system totals."""

    timestamp: datetime | None
    units: tuple[Unit, ...]
    sensors: tuple[CtSensor, ...]
    device_utc_offset: timedelta | None
    """The device's local time offset, when its timestamps show it."""

    @property
    def leader(self) -> Unit:
        """The unit the client talks to."""
        return next((unit for unit in self.units if unit.is_leader), self.units[0])

    @property
    def reported_leader(self) -> Unit | None:
        """The leader, when this read reports it (a poll of a cluster may leave it out)."""
        return next((unit for unit in self.units if unit.is_leader), None)

    @property
    def is_cluster(self) -> bool:
        """Whether the system has more than one unit."""
        return len(self.units) > 1

    def _sensors(self, function: SensorFunction) -> list[CtSensor]:
        return [sensor for sensor in self.sensors if sensor.function is function]

    def _sensor_power(self, function: SensorFunction) -> float | None:
        sensors = self._sensors(function)
        if not sensors or not all(sensor.available for sensor in sensors):
            return None
        return _sum([sensor.total_power for sensor in sensors])

    @property
    def rated_capacity(self) -> float | None:
        """Wh, all units."""
        return _sum([unit.rated_capacity for unit in self.units])

    @property
    def rated_power(self) -> float | None:
        """W, all units."""
        return _sum([unit.rated_power for unit in self.units])

    @property
    def usable_capacity(self) -> float | None:
        """Wh, all units."""
        return _sum([unit.usable_capacity for unit in self.units])

    @property
    def state_of_health(self) -> float | None:
        """%: usable over rated capacity, all units."""
        usable, rated = self.usable_capacity, self.rated_capacity
        if not usable or not rated:
            return None
        return min(100.0, 100.0 * usable / rated)

    @property
    def state_of_charge(self) -> float | None:
        """%, weighted by each unit's rated capacity (a plain mean when one is unknown).

        A unit in fault that does not report its SOC is left out; a running unit whose SOC
        is unknown (implausible) makes the system's unknown too.
        """
        if any(unit.state_of_charge is None and not unit.is_faulted for unit in self.units):
            return None
        known = [unit for unit in self.units if unit.state_of_charge is not None]
        if not known:
            return None
        if all(unit.rated_capacity for unit in known):
            total = sum(unit.rated_capacity or 0.0 for unit in known)
            return (
                sum((unit.state_of_charge or 0.0) * (unit.rated_capacity or 0.0) for unit in known)
                / total
            )
        return sum(unit.state_of_charge or 0.0 for unit in known) / len(known)

    @property
    def battery_power(self) -> float | None:
        """W, + = discharging, all units (a unit in fault without a reading gives none)."""
        if any(unit.power is None and not unit.is_faulted for unit in self.units):
            return None  # a running unit's power is implausible: the sum would be wrong
        powers = [unit.power for unit in self.units if unit.power is not None]
        return sum(powers) if powers else None

    @property
    def battery_charge_power(self) -> float | None:
        """W into the batteries."""
        power = self.battery_power
        return None if power is None else max(0.0, -power)

    @property
    def battery_discharge_power(self) -> float | None:
        """W out of the batteries."""
        power = self.battery_power
        return None if power is None else max(0.0, power)

    @property
    def available_charge_power(self) -> float | None:
        return _sum([unit.available_charge_power for unit in self.units])

    @property
    def available_discharge_power(self) -> float | None:
        return _sum([unit.available_discharge_power for unit in self.units])

    @property
    def available_charge_energy(self) -> float | None:
        return _sum([unit.available_charge_energy for unit in self.units])

    @property
    def available_discharge_energy(self) -> float | None:
        return _sum([unit.available_discharge_energy for unit in self.units])

    @property
    def battery_charged_energy(self) -> float | None:
        """kWh, all units."""
        return _sum([unit.charged_energy for unit in self.units])

    @property
    def battery_discharged_energy(self) -> float | None:
        """kWh, all units."""
        return _sum([unit.discharged_energy for unit in self.units])

    @property
    def has_grid_sensor(self) -> bool:
        return bool(self._sensors(SensorFunction.GRID))

    @property
    def has_solar_sensor(self) -> bool:
        return bool(self._sensors(SensorFunction.SOLAR))

    @property
    def has_load_sensor(self) -> bool:
        return bool(self._sensors(SensorFunction.LOAD))

    @property
    def grid_power(self) -> float | None:
        """W, + = importing."""
        return self._sensor_power(SensorFunction.GRID)

    @property
    def grid_import_power(self) -> float | None:
        power = self.grid_power
        return None if power is None else max(0.0, power)

    @property
    def grid_export_power(self) -> float | None:
        power = self.grid_power
        return None if power is None else max(0.0, -power)

    @property
    def solar_power(self) -> float | None:
        """W produced; 0 without a solar clamp is not assumed: None."""
        power = self._sensor_power(SensorFunction.SOLAR)
        return None if power is None else max(0.0, power)

    @property
    def house_power(self) -> float | None:
        """W consumed by the house.

        The virtual load's total_power is negative while the house consumes. Without a load
        sensor it is derived from the balance: grid + solar + battery.
        """
        load = self._sensor_power(SensorFunction.LOAD)
        if load is not None:
            return max(0.0, -load)
        if self.has_load_sensor:
            return None
        grid, battery = self.grid_power, self.battery_power
        solar = self.solar_power if self.has_solar_sensor else 0.0
        if grid is None or solar is None or battery is None:
            return None
        return max(0.0, grid + solar + battery)

    def _sensor_energy(self, function: SensorFunction, *, imported: bool) -> float | None:
        sensors = self._sensors(function)
        return _sum(
            [sensor.energy_imported if imported else sensor.energy_exported for sensor in sensors]
        )

    @property
    def grid_imported_energy(self) -> float | None:
        """KWh bought."""
        return self._sensor_energy(SensorFunction.GRID, imported=True)

    @property
    def grid_exported_energy(self) -> float | None:
        """KWh sold."""
        return self._sensor_energy(SensorFunction.GRID, imported=False)

    @property
    def solar_produced_energy(self) -> float | None:
        """kWh: the solar clamp counts production as imported."""
        return self._sensor_energy(SensorFunction.SOLAR, imported=True)

    @property
    def house_consumed_energy(self) -> float | None:
        """kWh: the virtual load accumulates consumption as exported."""
        return self._sensor_energy(SensorFunction.LOAD, imported=False)

    def unit(self, ecu_id: str) -> Unit | None:
        return next((unit for unit in self.units if unit.ecu_id == ecu_id), None)

    def sensor(self, key: str) -> CtSensor | None:
        return next((sensor for sensor in self.sensors if sensor.key == key), None)


def _fields(*specs: tuple[str, float, tuple[float, float]]) -> tuple[Field, ...]:
    """A table for _Obj.nums: each number's key, scale and range."""
    return tuple((key, scale, low, high) for key, scale, (low, high) in specs)


_VOLTAGES = _fields(
    ("l1", 0.1, VOLTAGE),
    ("l2", 0.1, VOLTAGE),
    ("l3", 0.1, VOLTAGE),
    ("l1_l2", 0.1, VOLTAGE),
    ("l2_l3", 0.1, VOLTAGE),
    ("l3_l1", 0.1, VOLTAGE),
)
_MODULE_CHARGE = _fields(("soc", 0.01, SOC), ("energy_avail", 1.0, UNIT_CAPACITY))
_MODULE_TEMPERATURES = _fields(("tmin", 0.1, TEMPERATURE), ("tmax", 0.1, TEMPERATURE))
_UNIT_READINGS = _fields(("sys_temp", 0.1, TEMPERATURE), ("avail_cap", 1.0, UNIT_CAPACITY))
_UNIT_COUNTERS = _fields(("energy_produced", 0.001, COUNTER), ("energy_consumed", 0.001, COUNTER))
_AGGREGATE_COUNTERS = _fields(("imported_kwh", 1.0, COUNTER), ("exported_kwh", 1.0, COUNTER))
_PREDICTED_ENERGY = _fields(
    ("avail_ch_energy", 1.0, UNIT_CAPACITY), ("avail_di_energy", 1.0, UNIT_CAPACITY)
)
_PHASE = _fields(
    ("voltage", 1.0, VOLTAGE),
    ("amp", 1.0, CURRENT),
    ("power", 1.0, CLAMP_POWER),
    ("pf", 1.0, POWER_FACTOR),
)
_SENSOR_RADIO = _fields(("rssi", 1.0, SIGNAL), ("average_rssi", 1.0, SIGNAL), ("pdr", 1.0, PERCENT))
_SENSOR_ENERGY = _fields(("energy_imported", 1.0, COUNTER), ("energy_exported", 1.0, COUNTER))


def _parse_voltages(obj: _Obj | None) -> Voltages | None:
    if obj is None:
        return None
    l1, l2, l3, l1_l2, l2_l3, l3_l1 = obj.nums(_VOLTAGES)
    return Voltages(l1=l1, l2=l2, l3=l3, l1_l2=l1_l2, l2_l3=l2_l3, l3_l1=l3_l1)


def _parse_modules(unit: _Obj) -> tuple[BatteryModule, ...]:
    infos = unit.objs("bms_info")
    infos_by_id = {info.opt_int("id"): info for info in infos}
    datas = unit.objs("bms_data")
    # bms_data has no ids: when both lists are as long, bms_info's ids say which module each
    # is, so that one missing from the middle does not shift the others onto its place.
    paired = len(datas) == len(infos) and None not in infos_by_id and len(infos_by_id) == len(infos)
    modules = []
    for position, data in enumerate(datas):
        info: _Obj | None
        if paired:
            info = infos[position]
            index = info.int_("id")
        else:
            index = position
            info = infos_by_id.get(index) or (infos[index] if index < len(infos) else None)
        serial_number = info.opt_id("serial_number") if info else None
        firmware = info.opt_str("fw_version") if info else None
        battery_type = info.opt_str("battery_type_str") if info else None
        rated_capacity = info.opt_num("rated_cap", valid=UNIT_CAPACITY) if info else None
        state_of_charge, energy_available = data.nums(_MODULE_CHARGE)
        cycle_count = data.opt_int("cycle_count", valid=CYCLES)
        state = data.opt_str("state_str")
        alarms = data.strs("alarm_str")
        min_temperature, max_temperature = data.nums(_MODULE_TEMPERATURES)
        modules.append(
            BatteryModule(
                index=index,
                serial_number=serial_number,
                firmware=firmware,
                battery_type=battery_type,
                rated_capacity=rated_capacity,
                state_of_charge=state_of_charge,
                energy_available=energy_available,
                cycle_count=cycle_count,
                state=state,
                alarms=alarms,
                min_temperature=min_temperature,
                max_temperature=max_temperature,
            )
        )
    return tuple(modules)


def _parse_unit(unit: _Obj) -> Unit:
    info = unit.opt_obj("ems_info")
    inverter = unit.opt_obj("inv_info")
    # A unit in fault may report little: only then are its readings allowed to be missing.
    given_data = unit.opt_obj("ems_data")
    faulted = (
        bool(unit.opt_int("error"))
        or (unit.opt_str("op_state_str") or "").lower() == "fault"
        or (given_data is not None and (given_data.opt_str("state_str") or "").lower() == "fault")
    )
    data = given_data or (
        _Obj({}, f"{unit.path}.ems_data", unit.checker) if faulted else unit.obj("ems_data")
    )
    prediction = unit.opt_obj("ems_prediction")
    aggregate = unit.opt_obj("ems_aggregate")
    host = unit.opt_str("ecu_host") or None

    # Lifetime counters: Wh in ems_data; kWh in ems_aggregate (imported = discharged). The two
    # disagree on some firmware, so ems_aggregate is used only by a healthy unit whose ems_data
    # has no counters at all: a unit in fault that omits ems_data, or an implausible counter,
    # must not switch sources (it stays unknown).
    discharged, charged = data.nums(_UNIT_COUNTERS)
    source = "ems_data" if data.has("energy_produced") or data.has("energy_consumed") else None
    if source is None and aggregate is not None and not faulted:
        discharged, charged = aggregate.nums(_AGGREGATE_COUNTERS)
        source = (
            "ems_aggregate"
            if aggregate.has("imported_kwh") or aggregate.has("exported_kwh")
            else None
        )

    rated_power = info.opt_num("rated_power", valid=UNIT_POWER) if info else None
    # Power through a unit stays near its rating; without one, near the largest unit's.
    limit = POWER_MARGIN * (rated_power or UNIT_POWER[1])
    power = (-limit, limit)
    # Read in the order the fields are listed, so that warnings come in that order too.
    ecu_id = unit.ecu_id("ecu_id")
    model = info.opt_str("model") if info else None
    firmware = info.opt_str("fw_version") if info else None
    inverter_serial_number = inverter.opt_id("serial_number") if inverter else None
    inverter_firmware = inverter.opt_str("fw_version") if inverter else None
    error_code = unit.opt_int("error")
    error_text = unit.opt_str("error_str")
    operating_state = unit.opt_str("op_state_str")
    system_state = data.opt_str("state_str")
    info_texts = data.strs("info_str")
    warnings = data.strs("warning_str")
    alarms = data.strs("alarm_str")
    rated_capacity = info.opt_num("rated_capacity", valid=UNIT_CAPACITY) if info else None
    state_of_charge = (data.opt_num if faulted else data.num)("soc_avg", 0.01, valid=SOC)
    unit_power = (data.opt_num if faulted else data.num)("power", valid=power)
    frequency = _frequency(data, "frequency", 0.001)
    temperature, usable_capacity = data.nums(_UNIT_READINGS)
    if prediction is None:
        charge_power = discharge_power = charge_energy = discharge_energy = None
    else:
        charge_power, discharge_power, charge_energy, discharge_energy = prediction.nums(
            (
                ("avail_ch_pwr", 1.0, 0.0, limit),
                ("avail_di_pwr", 1.0, 0.0, limit),
                *_PREDICTED_ENERGY,
            )
        )
    return Unit(
        ecu_id=ecu_id,
        host=host,
        is_leader=host is None and not unit.has("peer"),
        model=model,
        firmware=firmware,
        inverter_serial_number=inverter_serial_number,
        inverter_firmware=inverter_firmware,
        error_code=error_code,
        error_text=error_text,
        operating_state=operating_state,
        system_state=system_state,
        info=info_texts,
        warnings=warnings,
        alarms=alarms,
        rated_capacity=rated_capacity,
        rated_power=rated_power,
        state_of_charge=state_of_charge,
        power=unit_power,
        frequency=frequency,
        temperature=temperature,
        usable_capacity=usable_capacity,
        discharged_energy=discharged,
        charged_energy=charged,
        counter_source=source,
        available_charge_power=charge_power,
        available_discharge_power=discharge_power,
        available_charge_energy=charge_energy,
        available_discharge_energy=discharge_energy,
        voltages=_parse_voltages(unit.opt_obj("ems_voltage")),
        modules=_parse_modules(unit),
    )


# Functions by their name as the device writes it, lowercased.
_FUNCTIONS: dict[str, SensorFunction] = {function.value: function for function in SensorFunction}


def _function(value: str | None) -> SensorFunction:
    if value is None:
        return SensorFunction.UNSPECIFIED
    return _FUNCTIONS.get(value.lower(), SensorFunction.UNSPECIFIED)


def _parse_phase(phase: _Obj) -> Phase:
    voltage, current, power, power_factor = phase.nums(_PHASE)
    return Phase(voltage=voltage, current=current, power=power, power_factor=power_factor)


def _parse_sensor(sensor: _Obj) -> CtSensor:
    # Documented firmware: "function" + "sensor_type"; older firmware: "type" only.
    function = sensor.opt_str("function") or sensor.opt_str("type")
    phases = tuple(_parse_phase(phase) for phase in sensor.objs("phase"))
    euid = sensor.opt_id("euid") or ""
    node_id = sensor.opt_int("node_id")
    available = sensor.opt_bool("available") is not False
    rssi, average_rssi, packet_delivery = sensor.nums(_SENSOR_RADIO)
    frequency = _frequency(sensor, "frequency")
    total_power = sensor.num("total_power", valid=CLAMP_POWER)
    energy_imported, energy_exported = sensor.nums(_SENSOR_ENERGY)
    return CtSensor(
        function=_function(function),
        euid=euid,
        node_id=node_id,
        available=available,
        rssi=rssi,
        average_rssi=average_rssi,
        packet_delivery=packet_delivery,
        phases=phases,
        frequency=frequency,
        total_power=total_power,
        energy_imported=energy_imported,
        energy_exported=energy_exported,
        timestamp=_timestamp(sensor, "timestamp"),
    )


def _device_utc_offset(sensors: list[tuple[_Obj, CtSensor]]) -> timedelta | None:
    """The device's UTC offset: it renders timestamp_str in its local time."""
    for sensor, parsed in sensors:
        text = sensor.opt_str("timestamp_str")
        moment = parsed.timestamp
        if not text or moment is None:
            continue
        try:
            local = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            continue
        offset = local.replace(tzinfo=UTC) - moment
        quarters = round(offset.total_seconds() / 900)
        if abs(quarters) <= 14 * 4:
            return timedelta(minutes=15 * quarters)
    return None


def parse_ems(data: Json, checker: Plausibility | None = None) -> EmsData:
    """Parse ems.json; `checker` remembers which fields were implausible (one per device)."""
    root = _Obj(data, "ems.json", checker or Plausibility())
    # A unit or clamp listed twice (also in two id forms) is one: counted twice, it would double
    # every total and give its entities the same unique ids.
    units: dict[str, Unit] = {}
    for item in root.objs("ems", required=True):
        unit = _parse_unit(item)
        units.setdefault(unit.ecu_id, unit)
    if not units:
        raise HomevoltResponseError("ems.json.ems: expected at least one unit, got none")
    sensors = [(item, _parse_sensor(item)) for item in root.objs("sensors")]
    parsed: list[CtSensor] = []
    keys: set[str] = set()
    for _, sensor in sensors:
        if sensor.is_empty_slot:
            parsed.append(sensor)
        elif (key := sensor.key) not in keys:
            keys.add(key)
            parsed.append(sensor)
    return EmsData(
        timestamp=_timestamp(root, "ts"),
        units=tuple(units.values()),
        sensors=tuple(parsed),
        device_utc_offset=_device_utc_offset(sensors),
    )


# --------------------------------------------------------------------------------------------
# status.json


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """status.json: firmware, connectivity and uptime."""

    uptime: timedelta | None
    """None while the device reports an impossible one."""
    esp_firmware: str | None
    radio_firmware: str | None
    wifi_rssi: float | None
    lte_rssi: float | None
    """dBm."""
    cloud_connected: bool | None
    ota_in_progress: bool | None


def parse_status(data: Json, checker: Plausibility | None = None) -> Status:
    """Parse status.json."""
    root = _Obj(data, "status.json", checker or Plausibility())
    firmware = root.opt_obj("firmware")
    wifi = root.opt_obj("wifi_status")
    lte = root.opt_obj("lte_status")
    mqtt = root.opt_obj("mqtt_status")
    uptime_ms = root.num("up_time", valid=UPTIME_MS)
    return Status(
        uptime=None if uptime_ms is None else timedelta(milliseconds=uptime_ms),
        esp_firmware=firmware.opt_str("esp") if firmware else None,
        radio_firmware=firmware.opt_str("efr") if firmware else None,
        wifi_rssi=wifi.opt_num("rssi", valid=SIGNAL) if wifi else None,
        lte_rssi=lte.opt_num("rssi_db", valid=SIGNAL) if lte else None,
        cloud_connected=mqtt.opt_bool("connected") if mqtt else None,
        ota_in_progress=root.opt_bool("ota_update_running"),
    )


# --------------------------------------------------------------------------------------------
# schedule.json


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleLimits:
    """The limits of a schedule entry. None means "not set": the device's default applies."""

    setpoint: int | None = None
    """W. Inverter modes: at the inverter; grid modes: at the grid meter (+ import)."""
    max_charge: int | None = None
    """W."""
    max_discharge: int | None = None
    """W."""
    min_soc: int | None = None
    """%."""
    max_soc: int | None = None
    """%."""
    import_limit: int | None = None
    """W from the grid."""
    export_limit: int | None = None
    """W to the grid."""
    offline: bool = False
    """Take the inverter offline while idle."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEntry:
    """One entry of the device's schedule."""

    id: int
    start: datetime | None
    end: datetime | None
    """None: no end."""
    type_code: int
    mode: BatteryMode | None
    """None for a type this client does not know."""
    limits: ScheduleLimits

    def is_active(self, now: datetime) -> bool:
        """Whether the entry applies at this moment."""
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """schedule.json."""

    local_mode: bool | None
    schedule_id: str | None
    entries: tuple[ScheduleEntry, ...]

    @property
    def source(self) -> ScheduleSource | None:
        """Who wrote the schedule: this house (locally) or the Tibber cloud."""
        if not self.schedule_id:
            return None
        return (
            ScheduleSource.LOCAL if self.schedule_id == LOCAL_SCHEDULE_ID else ScheduleSource.REMOTE
        )

    def active_entry(self, now: datetime) -> ScheduleEntry | None:
        """The entry in force: of those active, the one that started last."""
        active = [entry for entry in self.entries if entry.is_active(now)]
        if not active:
            return None
        return max(active, key=lambda entry: entry.start or datetime.min.replace(tzinfo=UTC))

    def next_change(self, now: datetime) -> datetime | None:
        """When an entry next starts or ends."""
        moments = [
            moment
            for entry in self.entries
            for moment in (entry.start, entry.end)
            if moment is not None and moment > now
        ]
        return min(moments, default=None)

    def entry(self, entry_id: int) -> ScheduleEntry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)


def _opt_whole(obj: _Obj, key: str, valid: tuple[float, float] = CLAMP_POWER) -> int | None:
    value = obj.opt_num(key, valid=valid)
    return None if value is None else round(value)


def _parse_entry(entry: _Obj) -> ScheduleEntry:
    params = entry.opt_obj("params")
    type_code = entry.int_("type")
    return ScheduleEntry(
        id=entry.int_("id"),
        start=_timestamp(entry, "from"),
        end=_timestamp(entry, "to"),
        type_code=type_code,
        mode=BatteryMode.from_code(type_code),
        limits=ScheduleLimits(
            setpoint=_opt_whole(params, "setpoint") if params else None,
            max_charge=_opt_whole(params, "max_charge") if params else None,
            max_discharge=_opt_whole(params, "max_discharge") if params else None,
            min_soc=_opt_whole(entry, "min", SOC),
            max_soc=_opt_whole(entry, "max", SOC),
            import_limit=_opt_whole(params, "import_limit") if params else None,
            export_limit=_opt_whole(params, "export_limit") if params else None,
            offline=bool(params.opt_bool("offline")) if params else False,
        ),
    )


def parse_schedule(data: Json, checker: Plausibility | None = None) -> Schedule:
    """Parse schedule.json."""
    root = _Obj(data, "schedule.json", checker or Plausibility())
    return Schedule(
        local_mode=root.opt_bool("local_mode"),
        schedule_id=root.opt_str("schedule_id") or None,
        entries=tuple(_parse_entry(entry) for entry in root.objs("schedule")),
    )


# --------------------------------------------------------------------------------------------
# params.json


type ParamValue = bool | int | float | str


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One device parameter."""

    name: str
    type: str | None
    value: tuple[ParamValue, ...]
    default: tuple[ParamValue, ...]
    help: str | None

    @property
    def scalar(self) -> ParamValue | None:
        """The value of a single-valued parameter."""
        return self.value[0] if len(self.value) == 1 else None


@dataclass(frozen=True, slots=True)
class Parameters(Mapping[str, Parameter]):
    """params.json: every parameter by name."""

    by_name: Mapping[str, Parameter] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Parameter:
        return self.by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)

    def __len__(self) -> int:
        return len(self.by_name)

    @property
    def has_minimum_soc(self) -> bool:
        """Whether the unit has a minimum-SOC parameter (only some firmware lists one)."""
        return PARAM_MIN_SOC in self.by_name

    @property
    def minimum_soc(self) -> float | None:
        """The minimum-SOC parameter in %, when the unit has it."""
        parameter = self.by_name.get(PARAM_MIN_SOC)
        value = parameter.scalar if parameter else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        number = _as_float(value) + 0.0  # -0.0 would be shown as "-0.0"
        return number if SOC[0] <= number <= SOC[1] else None


def _param_values(obj: _Obj, key: str) -> tuple[ParamValue, ...]:
    values = obj.opt_list(key)
    if values is None:
        return ()
    for value in values:
        if not isinstance(value, (bool, int, float, str)):
            raise HomevoltResponseError(
                f"{obj.path}.{key}: expected a list of values, got {_describe(value)}"
            )
    return tuple(values)  # type: ignore[arg-type]


def parse_params(data: Json, checker: Plausibility | None = None) -> Parameters:
    """Parse params.json."""
    params = {}
    checker = checker or Plausibility()
    for item in _root_list(data, "params.json", checker):
        name = item.str_("name")
        params[name] = Parameter(
            name=name,
            type=item.opt_str("type"),
            value=_param_values(item, "value"),
            default=_param_values(item, "default"),
            help=item.opt_str("help"),
        )
    minimum = params.get(PARAM_MIN_SOC)
    if minimum is not None and isinstance(minimum.scalar, (int, float)):
        # Warned about here; Parameters.minimum_soc reads it as unknown while implausible.
        checker.check(f"params.json.{PARAM_MIN_SOC}", _as_float(minimum.scalar), *SOC)
    return Parameters(params)


# --------------------------------------------------------------------------------------------
# error_report.json


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReportItem:
    """One check of the device's self-test."""

    subsystem: str | None
    name: str
    state: str
    message: str | None

    @property
    def active(self) -> bool:
        """Whether this check reports a problem."""
        return self.state.lower() != "ok"


def parse_error_report(
    data: Json, checker: Plausibility | None = None
) -> tuple[ErrorReportItem, ...]:
    """Parse error_report.json."""
    return tuple(
        ErrorReportItem(
            subsystem=item.opt_str("sub_system_name"),
            name=item.str_("error_name"),
            state=item.opt_str("activated") or "ok",
            message=item.opt_str("message") or None,
        )
        for item in _root_list(data, "error_report.json", checker or Plausibility())
    )


# --------------------------------------------------------------------------------------------
# ota_manifest.json

# Printable ASCII, as firmware versions are written; anything else is not a version.
_VERSION_TEXT = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,63}$")


_OTA_RUNNING = frozenset({OtaState.DOWNLOADING, OtaState.VERIFYING, OtaState.INSTALLING})


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmwareUpdate:
    """One product's firmware in ota_manifest.json: what runs, what is offered, progress."""

    product_id: int
    current_version: str
    available_version: str | None
    state: OtaState
    progress: float | None
    """Percent while an update runs; None when not running or not plausible."""
    up_to_date: bool | None

    @property
    def in_progress(self) -> bool:
        """Whether an update is being downloaded, verified or installed now."""
        return self.state in _OTA_RUNNING

    @property
    def latest_version(self) -> str:
        """The newest version the device knows of: the offered one, else the running one."""
        if self.up_to_date is True or not self.available_version:
            return self.current_version
        return self.available_version


def _version(item: _Obj, key: str, *, required: bool) -> str | None:
    text = item.opt_str(key)
    text = text.strip() if text is not None else None
    if not text:
        if required:
            raise HomevoltResponseError(f"{item.path}.{key}: expected a version, got nothing")
        return None
    if not _VERSION_TEXT.match(text):
        raise HomevoltResponseError(f"{item.path}.{key}: {text[:70]!r} is not a version")
    return text


def parse_ota_manifest(
    data: Json, checker: Plausibility | None = None
) -> tuple[FirmwareUpdate, ...]:
    """Parse ota_manifest.json; an item without a product id or a current version is refused."""
    updates: dict[int, FirmwareUpdate] = {}
    for item in _Obj(data, "ota_manifest.json", checker or Plausibility()).objs(
        "updates", required=True
    ):
        product_id = item.int_("product_id")
        state_text = (item.opt_str("state") or "").strip().lower()
        state = OtaState(state_text) if state_text in OtaState else OtaState.UNKNOWN
        progress = item.opt_num("progress_percent")
        update = FirmwareUpdate(
            product_id=product_id,
            current_version=str(_version(item, "current_version", required=True)),
            available_version=_version(item, "available_version", required=False),
            state=state,
            progress=(
                progress
                if state in _OTA_RUNNING and progress is not None and 0 <= progress <= 100
                else None
            ),
            up_to_date=item.opt_bool("up2date"),
        )
        if product_id in updates:
            raise HomevoltResponseError(
                f"ota_manifest.json: product {product_id} is listed more than once"
            )
        updates[product_id] = update
    return tuple(updates.values())
