"""The model battery system: units, modules, a household, the sun, a schedule and parameters.

Signs as on the device: battery + = discharging, grid + = importing, solar + = producing, and
the virtual load's total_power is negative while the house consumes.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import math
import random
from typing import Any
import uuid
from zoneinfo import ZoneInfo

MANUAL_SCHEDULE_ID = "Manual Schedule"
# Modes this model knows; older firmware runs only 0-6 and silently turns the rest into idle.
MODES_2025 = range(7)
MODES_2026 = range(10)
STEP_SECONDS = 10.0


def _noise(seed: int, *key: object) -> float:
    """A deterministic number in [0, 1) for this seed and key."""
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class Entry:
    """One schedule entry, as schedule.json shows it."""

    id: int
    start: int
    end: int  # 0: no end
    type: int
    params: dict[str, Any] = field(default_factory=dict)
    min_soc: int | None = None
    max_soc: int | None = None

    def active(self, now: float) -> bool:
        return self.start <= now and (self.end == 0 or now < self.end)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "from": self.start,
            "to": self.end,
            "type": self.type,
        }
        if self.min_soc is not None:
            data["min"] = self.min_soc
        if self.max_soc is not None:
            data["max"] = self.max_soc
        data["params"] = dict(self.params)
        return data


@dataclass
class Param:
    """One device parameter with its runtime and stored value."""

    param_id: int
    name: str
    type: str
    default: list[Any]
    help: str
    group: str = "ecu_params"
    value: list[Any] = field(default_factory=list)
    stored: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.value = list(self.value or self.default)
        self.stored = list(self.stored or self.default)

    def convert(self, text: str) -> Any:
        """A value from its text form, as the device converts it; ValueError when invalid."""
        if self.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "on", "yes"):
                return True
            if lowered in ("0", "false", "off", "no"):
                return False
            raise ValueError(text)
        if self.type.startswith(("u", "i", "s")) and self.type != "str32":
            number = int(text, 0)
            bits = int("".join(c for c in self.type if c.isdigit()) or "32")
            low, high = (
                (0, 2**bits - 1)
                if self.type.startswith("u")
                else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
            )
            if not low <= number <= high:
                raise ValueError(text)
            return number
        if self.type in ("float", "double"):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        if len(text) > 32:
            raise ValueError(text)
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "param_id": self.param_id,
            "desc": f'"{self.group}"',
            "name": self.name,
            "size": len(self.value),
            "type": self.type,
            "value": list(self.value),
            "default": list(self.default),
            "help": self.help,
            "level": 8,
        }


def default_params(with_min_soc: bool) -> dict[str, Param]:
    """The parameters a unit lists (a representative subset of the real params.json)."""
    params = [
        Param(
            4,
            "smart_cli_mode",
            "bool",
            [False],
            "Enable smart CLI mode for terminal",
            "common_params",
        ),
        Param(
            15,
            "ota_enable_esp32",
            "bool",
            [True],
            "Enable OTA for main esp32 chip",
            "common_params",
        ),
        Param(
            40,
            "settings_local",
            "bool",
            [False],
            "Enable local mode (prevents remote MQTT schedules)",
        ),
        Param(
            41,
            "ems_idle_power_threshold",
            "u16",
            [80],
            "Power threshold (W) for EMS to consider system idle",
        ),
        Param(
            42, "export_limitation_w", "u32", [0], "Property export limitation in W (0 = unlimited)"
        ),
        Param(
            43, "import_limitation_w", "u32", [0], "Property import limitation in W (0 = unlimited)"
        ),
        Param(44, "ecu_main_fuse_size_a", "u8", [0], "Home main fuse size in A (0 = auto)"),
        Param(
            60,
            "ledstrip_mode",
            "str32",
            ["soc"],
            "Led strip mode (off|on|soc|dem|ser)",
            "hmi_params",
        ),
        Param(61, "ledstrip_bright_max", "u8", [100], "Led strip max brightness", "hmi_params"),
    ]
    if with_min_soc:
        params.append(
            Param(45, "battery_min_soc", "u8", [10], "Minimum battery state of charge in %")
        )
    return {param.name: param for param in params}


@dataclass
class Module:
    """A battery module of a unit."""

    serial: str
    rated_cap: float
    soc_offset: float
    cycles: float
    tmin: float = 20.0
    tmax: float = 21.5


@dataclass
class UnitModel:
    """One Homevolt unit."""

    index: int
    ecu_id: int
    rated_power: float
    rated_cap: float
    soc: float
    modules: list[Module]
    usable_fraction: float
    produced_wh: float = 0.0
    consumed_wh: float = 0.0
    power: float = 0.0
    temperature: float = 20.0
    fault: bool = False

    @property
    def ecu_hex(self) -> str:
        return f"{self.ecu_id:012x}"


@dataclass
class Meter:
    """A CT counter pair in kWh."""

    imported: float = 0.0
    exported: float = 0.0

    def add(self, power: float, seconds: float) -> None:
        kwh = abs(power) * seconds / 3_600_000
        if power >= 0:
            self.imported += kwh
        else:
            self.exported += kwh


@dataclass
class Ota:
    """The firmware the unit runs and an update it has been offered (ota_manifest.json).

    An update that runs advances with simulated time: download, verify, install, done.
    """

    current_version: str
    available_version: str
    state: str = "IDLE"
    progress: float = 0.0
    product_id: int = 1
    seconds: float = 600.0  # how long a whole update takes

    @property
    def up_to_date(self) -> bool:
        return self.available_version == self.current_version

    def step(self, seconds: float) -> None:
        if self.state not in ("DOWNLOADING", "VERIFYING", "INSTALLING"):
            return
        self.progress = min(100.0, self.progress + 100.0 * seconds / self.seconds)
        if self.progress >= 100.0:
            self.state, self.progress = "COMPLETE", 100.0
            self.current_version = self.available_version
        else:
            self.state = (
                "DOWNLOADING"
                if self.progress < 60
                else "VERIFYING"
                if self.progress < 70
                else "INSTALLING"
            )


class BatterySystem:
    """A leader and its followers, the house they sit in, and the device's own state."""

    def __init__(
        self,
        *,
        units: int = 1,
        seed: int = 1,
        start: datetime | None = None,
        timezone: str = "Europe/Stockholm",
        firmware: str = "2026",
        min_soc_param: bool = True,
        solar_peak: float = 5000.0,
        remote_interval: float = 900.0,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.firmware = firmware
        self.zone = ZoneInfo(timezone)
        self.now = (start or datetime.now(UTC)).timestamp()
        self.boot_time = self.now
        self.solar_peak = solar_peak
        self.remote_interval = remote_interval
        self.params = default_params(min_soc_param)
        self.schedule: list[Entry] = []
        self.schedule_id = MANUAL_SCHEDULE_ID
        self.next_entry_id = 1
        self.last_remote_push = -math.inf
        self.units = [self._make_unit(index) for index in range(units)]
        self.grid = Meter(imported=8123.4 + self.rng.random(), exported=2345.6)
        self.solar = Meter(imported=4321.0)
        self.load = Meter(imported=12.5, exported=5123.4)
        self.house_power = 0.0
        self.solar_power = 0.0
        self.grid_power = 0.0
        self.frequency = 50.0
        version = "3056-1a3446ed" if firmware == "2026" else "2811-0b1c2d3e"
        self.ota = Ota(current_version=version, available_version=version)
        self._update_flows()
        self._maybe_push_remote()

    def _make_unit(self, index: int) -> UnitModel:
        rng = random.Random(self.seed * 1000 + index)
        modules = [
            Module(
                serial=f"8000027404992{rng.randrange(10**7):07d}",
                rated_cap=6652.0,
                soc_offset=rng.uniform(-1.5, 1.5),
                cycles=rng.uniform(50, 400),
            )
            for _ in range(2)
        ]
        return UnitModel(
            index=index,
            ecu_id=0x68B6B34C0000 + rng.randrange(0xFFFF) + index,
            rated_power=6000.0,
            rated_cap=sum(module.rated_cap for module in modules),
            soc=rng.uniform(35, 65),
            modules=modules,
            usable_fraction=rng.uniform(0.86, 0.97),
            produced_wh=rng.uniform(300_000, 3_000_000),
            consumed_wh=rng.uniform(300_000, 3_000_000),
        )

    def set_unit_count(self, count: int) -> None:
        """Add followers or remove the last ones (the leader always stays)."""
        if count < 1:
            raise ValueError("a system has at least one unit")
        self.units = self.units[:count]
        self.units += [self._make_unit(index) for index in range(len(self.units), count)]

    # ------------------------------------------------------------------------------------
    # parameters

    def param(self, name: str) -> Any:
        param = self.params.get(name)
        return param.value[0] if param and param.value else None

    @property
    def local_mode(self) -> bool:
        return bool(self.param("settings_local"))

    @property
    def modes(self) -> range:
        return MODES_2025 if self.firmware == "2025" else MODES_2026

    def set_param(self, name: str, text: str, *, store: bool) -> Any:
        """Set a parameter from text; KeyError when unknown, ValueError when invalid."""
        param = self.params[name]
        value = param.convert(text)
        param.value = [value]
        if store:
            param.stored = [value]
        if name == "settings_local" and not value:
            self.last_remote_push = -math.inf  # the cloud takes over at its next push
        return value

    def store_params(self) -> None:
        for param in self.params.values():
            param.stored = list(param.value)

    # ------------------------------------------------------------------------------------
    # schedule

    def local_wall_time(self, text: str) -> float:
        """Epoch seconds for a console time (YYYY-MM-DDTHH:mm:ss, the device's local time)."""
        naive = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
        return naive.replace(tzinfo=self.zone).timestamp()

    def add_entry(self, entry: Entry, *, replace: bool) -> Entry:
        if entry.type not in self.modes:
            entry.type = 0  # what some firmware does with a mode it does not run
        if replace or self.schedule_id != MANUAL_SCHEDULE_ID:
            self.schedule = []
        self.schedule_id = MANUAL_SCHEDULE_ID
        entry.id = self.next_entry_id
        self.next_entry_id += 1
        self.schedule.append(entry)
        return entry

    def delete_entry(self, entry_id: int) -> bool:
        before = len(self.schedule)
        self.schedule = [entry for entry in self.schedule if entry.id != entry_id]
        return len(self.schedule) < before

    def clear_schedule(self) -> None:
        self.schedule = []
        self.schedule_id = MANUAL_SCHEDULE_ID

    def active_entry(self) -> Entry | None:
        active = [entry for entry in self.schedule if entry.active(self.now)]
        return max(active, key=lambda entry: entry.start) if active else None

    def _remote_plan(self) -> list[Entry]:
        """The Tibber cloud's plan for today: charge at night, cover the evening peak."""
        day = datetime.fromtimestamp(self.now, self.zone).replace(
            hour=0, minute=0, second=0, microsecond=0
        )

        def at(hour: int) -> int:
            return int((day + timedelta(hours=hour)).timestamp())

        plan = [
            (0, 5, 1, {"setpoint": 3000}, None, 90),
            (5, 17, 8, {"setpoint": 0}, 20, 100),
            (17, 21, 2, {"setpoint": 2500}, 20, None),
            (21, 24, 8, {"setpoint": 0}, 20, 100),
        ]
        return [
            Entry(index + 1, at(start), at(end), kind, params, low, high)
            for index, (start, end, kind, params, low, high) in enumerate(plan)
        ]

    def _maybe_push_remote(self) -> None:
        """With local mode off the cloud pushes its plan, replacing a local schedule."""
        if self.local_mode or self.now - self.last_remote_push < self.remote_interval:
            return
        self.last_remote_push = self.now
        day = datetime.fromtimestamp(self.now, self.zone).date().isoformat()
        self.schedule_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"homevolt-sim/{self.seed}/{day}"))
        self.schedule = self._remote_plan()

    def reboot(self) -> None:
        """What a reboot does: uptime restarts, unstored parameters and sched_set revert."""
        for param in self.params.values():
            param.value = list(param.stored)
        self.boot_time = self.now
        # sched_set is lost on reboot; sched_add windows survive.
        self.schedule = [entry for entry in self.schedule if entry.end != 0]

    # ------------------------------------------------------------------------------------
    # physics

    def _house(self, moment: float) -> float:
        local = datetime.fromtimestamp(moment, self.zone)
        hour = local.hour + local.minute / 60
        base = (
            350
            + 250 * math.exp(-((hour - 7.5) ** 2) / 2)
            + 900 * math.exp(-((hour - 18.5) ** 2) / 3)
        )
        minute = int(moment // 60)
        return base + 600 * _noise(self.seed, "house", minute) ** 3

    def _sun(self, moment: float) -> float:
        local = datetime.fromtimestamp(moment, self.zone)
        hour = local.hour + local.minute / 60
        if not 6 <= hour <= 20:
            return 0.0
        clouds = 0.5 + 0.5 * _noise(self.seed, "clouds", local.date().isoformat(), local.hour)
        return float(self.solar_peak * clouds * math.sin(math.pi * (hour - 6) / 14) ** 1.5)

    def _min_soc(self, entry: Entry | None) -> float:
        floor = float(self.param("battery_min_soc") or 0.0)
        if entry and entry.min_soc is not None:
            floor = max(floor, entry.min_soc)
        return floor

    def _target(self, entry: Entry | None, house: float, solar: float, rated: float) -> float:
        """The system's battery power (+ = discharge) the active entry asks for."""
        if entry is None:
            return 0.0
        params = entry.params
        setpoint = params.get("setpoint")
        max_charge = min(params.get("max_charge") or rated, rated)
        max_discharge = min(params.get("max_discharge") or rated, rated)
        net = house - solar  # what the grid would carry with the battery idle
        kind = entry.type
        if kind == 1:
            target = -min(abs(setpoint) if setpoint else max_charge, max_charge)
        elif kind == 2:
            target = min(abs(setpoint) if setpoint else max_discharge, max_discharge)
        elif kind == 3:
            target = min(0.0, net - (setpoint or 0))
        elif kind == 4:
            target = max(0.0, net + abs(setpoint or 0))
        elif kind in (5, 8):
            target = net - (setpoint or 0)
        elif kind == 7:
            target = -max(0.0, solar - house)
        else:  # idle, frequency reserve (no event), full solar export
            target = 0.0
        target = max(-max_charge, min(max_discharge, target))
        # Grid limits: keep import and export within what the entry allows.
        if "import_limit" in params and net - target > params["import_limit"]:
            target = net - params["import_limit"]
        if "export_limit" in params and target - net > params["export_limit"]:
            target = net + params["export_limit"]
        return max(-rated, min(rated, target))

    def _update_flows(self) -> None:
        self.house_power = self._house(self.now)
        self.solar_power = self._sun(self.now)
        battery = sum(unit.power for unit in self.units)
        self.grid_power = self.house_power - self.solar_power - battery
        self.frequency = 50.0 + 0.05 * (_noise(self.seed, "f", int(self.now // 10)) - 0.5)

    def _step(self, seconds: float) -> None:
        self._maybe_push_remote()
        entry = self.active_entry()
        house, solar = self._house(self.now), self._sun(self.now)
        running = [unit for unit in self.units if not unit.fault]
        rated = sum(unit.rated_power for unit in running)
        target = self._target(entry, house, solar, rated) if running else 0.0
        low = self._min_soc(entry)
        high = float(entry.max_soc) if entry and entry.max_soc is not None else 100.0
        for unit in self.units:
            share = 0.0 if unit.fault or not rated else target * unit.rated_power / rated
            if share < 0 and unit.soc >= high:
                share = 0.0
            if share > 0 and unit.soc <= low:
                share = 0.0
            unit.power = round(share)
            energy_wh = unit.power * seconds / 3600
            unit.soc = max(0.0, min(100.0, unit.soc - 100 * energy_wh / unit.rated_cap))
            if unit.power > 0:
                unit.produced_wh += energy_wh
            else:
                unit.consumed_wh -= energy_wh
            for module in unit.modules:
                module.cycles += abs(energy_wh) / (2 * unit.rated_cap)
            heat = 20 + 12 * abs(unit.power) / unit.rated_power
            unit.temperature += (heat - unit.temperature) * min(1.0, seconds / 600)
            for module in unit.modules:
                module.tmin = unit.temperature - 0.8
                module.tmax = unit.temperature + 1.2
        self.now += seconds
        self.ota.step(seconds)
        self._update_flows()
        self.grid.add(self.grid_power, seconds)
        self.solar.add(self.solar_power, seconds)
        self.load.add(-self.house_power, seconds)

    def advance_to(self, moment: float) -> None:
        """Run the model forward to `moment` (epoch seconds)."""
        while self.now < moment:
            self._step(min(STEP_SECONDS, moment - self.now))
