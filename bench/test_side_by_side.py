"""Side by side with Home Assistant core's homevolt: the same simulated unit, one Home Assistant.

Both integrations poll one simulator (in its own thread, so its work is not counted). Each round
moves Home Assistant's clock and the simulator's by one default polling interval (15 s) and
refreshes both coordinators one after the other, alternating which goes first, measuring the
event-loop thread's CPU (`time.thread_time`) from the refresh until Home Assistant is idle again.
Requests and body bytes are attributed from the simulator's counters around each refresh.

A third side, the floor, is the least any integration can spend on the same job: a coordinator
that reads and decodes `ems.json` (and at set-up the schedule too, as both others do) and keeps as
many sensors as ours enables, of which it writes as many per refresh as ours changed in the round
before, and calls no other. No validation, no mapping, one platform: what remains is Home
Assistant's own cost of the entities and their state changes, plus one request. Where the floor is
above a target, no integration with these entities and state changes can meet it.

It prints figures and asserts nothing about speed. Run it with `scripts/bench`: it needs core's
library (`homevolt==0.7.0`), which only the benchmark environment has.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator
import cProfile
from dataclasses import dataclass, field
from datetime import timedelta
import io
import logging
import os
from pathlib import Path
import pstats
import re
import statistics
import sys
import time
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlow
from homeassistant.const import CONF_HOST, CONF_PASSWORD, Platform, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)
from yarl import URL

from custom_components.homevolt_local_api.api.const import USERNAME
from simulator.server import Simulator
from tests.integration.conftest import START, StartSim, entry_for

pytest.importorskip("homevolt", reason="core's library is only in the benchmark environment")

CORE = "homevolt"
FLOOR = "homevolt_floor"
CALIBRATION_ROUNDS = 40  # ours alone, to learn how many state changes a refresh of ours makes
INTERVAL = timedelta(seconds=15)  # both integrations' default
REPEATS = int(os.environ.get("HOMEVOLT_BENCH_REPEATS", "3"))
# Simulated hours per repeat; 3 x 2 h includes our six-hourly parameter read once.
HOURS = float(os.environ.get("HOMEVOLT_BENCH_HOURS", "2"))
ROUNDS = round(HOURS * 3600 / INTERVAL.total_seconds())
SETUPS = 10  # warm set-ups per repeat
PROFILE = os.environ.get("HOMEVOLT_BENCH_PROFILE") == "1"
REPORT = Path(os.environ.get("HOMEVOLT_BENCH_REPORT", ".bench/side_by_side.txt"))


@dataclass
class Side:
    """One integration's entry and what was measured of it."""

    name: str
    entry: MockConfigEntry
    cpu: list[list[float]] = field(default_factory=list)  # per repeat, seconds per refresh
    setup_wall: list[list[float]] = field(default_factory=list)  # per repeat, seconds
    setup_cpu: list[list[float]] = field(default_factory=list)
    changed: int = 0
    reported: int = 0
    refreshes: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    body_bytes: Counter[str] = field(default_factory=Counter)
    entity_ids: set[str] = field(default_factory=set)
    enabled: int = 0
    registered: int = 0

    def coordinator(self) -> Any:
        runtime = self.entry.runtime_data
        return runtime.coordinator if self.name == "ours" else runtime

    @property
    def hours(self) -> float:
        return self.refreshes * INTERVAL.total_seconds() / 3600


@dataclass
class Scenario:
    """One simulated system with both integrations on it."""

    title: str
    ours: Side
    core: Side
    floor: Side
    changes: int = 0  # the floor's state changes per refresh: ours', rounded
    profile: dict[str, list[str]] = field(default_factory=dict)

    @property
    def sides(self) -> tuple[Side, ...]:
        return self.ours, self.core, self.floor


RESULTS: list[Scenario] = []


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Run the loop as a real Home Assistant does, not in the test harness's debug mode.

    Debug mode records a traceback for every callback, which would dwarf what is measured.
    """
    asyncio.get_running_loop().set_debug(False)


def _wall() -> float:
    """Real elapsed time: the frozen clock patches time.monotonic and time.perf_counter."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


async def _idle(hass: HomeAssistant) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)


async def _measure_setups(hass: HomeAssistant, scenario: Scenario) -> None:
    """Unload both, then set each up again, alternating which goes first."""
    for side in scenario.sides:
        side.setup_wall.append([])
        side.setup_cpu.append([])
    for index in range(SETUPS):
        for side in scenario.sides:
            await hass.config_entries.async_unload(side.entry.entry_id)
        await _idle(hass)
        order = scenario.sides if index % 2 == 0 else scenario.sides[::-1]
        for side in order:
            wall, cpu = _wall(), time.thread_time()
            assert await hass.config_entries.async_setup(side.entry.entry_id)
            await _idle(hass)
            side.setup_cpu[-1].append(time.thread_time() - cpu)
            side.setup_wall[-1].append(_wall() - wall)
            assert side.entry.state is ConfigEntryState.LOADED, side.name
            _drive_by_hand(side)


def _drive_by_hand(side: Side) -> None:
    """Only the rounds refresh: each coordinator's own timer would fire after every tick."""
    coordinator = side.coordinator()
    coordinator.update_interval = None
    # The benchmark owns the timing.
    coordinator._unschedule_refresh()


async def _refresh(hass: HomeAssistant, sim: Simulator, side: Side) -> float:
    """One refresh of one side; the event-loop thread's CPU until Home Assistant is idle."""
    requests, sent = Counter(sim.requests), Counter(sim.sent_bytes)
    coordinator = side.coordinator()
    began = time.thread_time()
    await coordinator.async_refresh()
    await _idle(hass)
    cpu = time.thread_time() - began
    assert coordinator.last_update_success, side.name
    side.requests.update(sim.requests - requests)
    side.body_bytes.update(sim.sent_bytes - sent)
    side.refreshes += 1
    return cpu


def _count_writes(hass: HomeAssistant, side: Side, stamp: float) -> None:
    """Writes made this round: a changed state's last_updated, else last_reported, is now."""
    for entity_id in side.entity_ids:
        state = hass.states.get(entity_id)
        if state is None:
            continue
        if state.last_updated_timestamp == stamp:
            side.changed += 1
        elif state.last_reported_timestamp == stamp:
            side.reported += 1


async def _rounds(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory, scenario: Scenario
) -> None:
    samples: dict[str, list[float]] = {side.name: [] for side in scenario.sides}
    for index in range(ROUNDS):
        freezer.tick(INTERVAL)
        await _advance(sim.url)
        order = scenario.sides if index % 2 == 0 else scenario.sides[::-1]
        for side in order:
            samples[side.name].append(await _refresh(hass, sim, side))
        stamp = dt_util.utcnow().timestamp()
        changed = scenario.ours.changed
        for side in scenario.sides:
            _count_writes(hass, side, stamp)
        # The floor changes next round as many states as ours changed in this one.
        scenario.floor.coordinator().changes = scenario.ours.changed - changed
    for side in scenario.sides:
        side.cpu.append(samples[side.name])


def _entities(hass: HomeAssistant, side: Side) -> None:
    entries = er.async_entries_for_config_entry(er.async_get(hass), side.entry.entry_id)
    side.registered = len(entries)
    enabled = [entry.entity_id for entry in entries if entry.disabled_by is None]
    side.enabled = len(enabled)
    side.entity_ids = set(enabled)


_CONTROL: list[aiohttp.ClientSession] = []


async def _advance(url: str) -> None:
    """Move the simulator's clock by one polling interval (one session: no resolver churn)."""
    if not _CONTROL or _CONTROL[0].closed:
        _CONTROL[:] = [aiohttp.ClientSession()]
    payload = {"advance": INTERVAL.total_seconds()}
    async with _CONTROL[0].post(f"{url}/_sim/clock", json=payload) as response:
        response.raise_for_status()


async def _profile(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, scenario: Scenario, units: int
) -> None:
    """Profile (cProfile) our set-ups and refreshes (one simulated hour), to a file each.

    cProfile sees every thread of the process, so this simulator runs in a process of its own.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "simulator", "--port", "0", "--speed", "0", "--units", str(units)),
        *("--start", START.isoformat()),
        cwd=Path(__file__).parent.parent,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"http://\S+", (await process.stdout.readline()).decode())
        assert found, "the simulator did not say where it listens"
        url = found.group()
        ours = scenario.ours
        await hass.config_entries.async_unload(ours.entry.entry_id)
        await _idle(hass)
        hass.config_entries.async_update_entry(ours.entry, data={**ours.entry.data, CONF_HOST: url})
        # CPU time, not wall time; of the process, since cProfile also hears other threads
        # and a per-thread clock would then jump.
        refresh, setup = cProfile.Profile(time.process_time), cProfile.Profile(time.process_time)
        for _ in range(SETUPS):
            await hass.config_entries.async_unload(ours.entry.entry_id)
            await _idle(hass)
            setup.enable()
            await hass.config_entries.async_setup(ours.entry.entry_id)
            await _idle(hass)
            setup.disable()
            _drive_by_hand(ours)
        for _ in range(240):
            freezer.tick(INTERVAL)
            await _advance(url)
            refresh.enable()
            await ours.coordinator().async_refresh()
            await _idle(hass)
            refresh.disable()
    finally:
        process.terminate()
        await process.wait()
    for what, profiler, parts, count in (
        ("refresh", refresh, REFRESH_PARTS, 240),
        ("setup", setup, SETUP_PARTS, SETUPS),
    ):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        scenario.profile[what] = _breakdown(stats, parts, count)
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(40)
        slug = scenario.title.replace(" ", "_")
        path = REPORT.parent / f"profile-{slug}-{what}.txt"
        path.write_text("\n".join(scenario.profile[what]) + "\n\n" + text.getvalue())


# Where our CPU goes: each part is a function's cumulative CPU time under the profiler.
REFRESH_PARTS = (
    (
        "fetch and parse (our _async_update_data)",
        "homevolt_local_api/coordinator.py",
        "_async_update_data",
    ),
    ("  parse_ems", "api/models.py", "parse_ems"),
    (
        "calling every entity back (async_update_listeners)",
        "update_coordinator.py",
        "async_update_listeners",
    ),
    ("  our entities' one listener (PartListeners)", "homevolt_local_api/entity.py", "_update"),
    ("    each part looked up once (find)", "homevolt_local_api/entity.py", "find"),
    (
        "    what each entity reads of its part, compared (probe)",
        "homevolt_local_api/entity.py",
        "probe",
    ),
    (
        "    what the called-back entities show (update_from)",
        "homevolt_local_api/entity.py",
        "update_from",
    ),
    (
        "      the calendar's event (CalendarEvent objects)",
        "homevolt_local_api/calendar.py",
        "_shown",
    ),
    ("  state writes (async_write_ha_state)", "helpers/entity.py", "async_write_ha_state"),
    ("  new-device check, once per platform (add_new)", "homevolt_local_api/entity.py", "add_new"),
    (
        "stale-device check (_remove_stale_devices)",
        "homevolt_local_api/coordinator.py",
        "_remove_stale_devices",
    ),
)
SETUP_PARTS = (
    ("our async_setup_entry", "homevolt_local_api/__init__.py", "async_setup_entry"),
    (
        "  first refresh (every endpoint, one after another)",
        "update_coordinator.py",
        "async_config_entry_first_refresh",
    ),
    ("  platforms (async_forward_entry_setups)", "config_entries.py", "async_forward_entry_setups"),
    (
        "    building our entities (build_entities)",
        "homevolt_local_api/entity.py",
        "build_entities",
    ),
    ("    adding entities (_async_add_entity)", "helpers/entity_platform.py", "_async_add_entity"),
    (
        "      device registry (async_get_or_create)",
        "helpers/device_registry.py",
        "async_get_or_create",
    ),
    (
        "      first state writes (async_write_ha_state)",
        "helpers/entity.py",
        "async_write_ha_state",
    ),
    (
        "    the calendar's event (CalendarEvent objects)",
        "homevolt_local_api/calendar.py",
        "_shown",
    ),
)


def _breakdown(
    stats: pstats.Stats, parts: tuple[tuple[str, str, str], ...], count: int
) -> list[str]:
    """Each part's CPU per call of the whole, and its share of all CPU profiled."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total: float = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"{'all CPU profiled':54} {total / count * 1000:7.2f} ms  100 %"]
    for label, path, name in parts:
        spent = sum(
            values[3]
            for (filename, _, function), values in table.items()
            if function == name and filename.endswith(path)
        )
        lines.append(f"{label:54} {spent / count * 1000:7.2f} ms {spent / total * 100:4.0f} %")
    return lines


# ----------------------------------------------------------------------------------------------
# the floor: the least an integration can spend on ours' entities and state changes


class _FloorCoordinator(DataUpdateCoordinator[Any]):
    """Reads and decodes ems.json; nothing checked, nothing mapped."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        super().__init__(
            hass,
            logging.getLogger(__name__),
            config_entry=entry,
            name=FLOOR,
            update_interval=INTERVAL,
        )
        self._session = async_get_clientsession(hass)
        self._url = URL(entry.data[CONF_HOST])
        self._auth = aiohttp.BasicAuth(USERNAME, entry.data[CONF_PASSWORD])
        self.refreshes = 0
        self.changes = entry.data["changes"]  # how many sensors the next refresh changes

    async def get(self, path: str) -> Any:
        async with self._session.get(self._url / path, auth=self._auth) as response:
            response.raise_for_status()
            return json_loads(await response.read())

    async def _async_setup(self) -> None:
        await self.get("schedule.json")  # as ours and core read it at set-up

    async def _async_update_data(self) -> Any:
        self.refreshes += 1
        return await self.get("ems.json")


class _FloorSensor(SensorEntity):
    """A power sensor like most of ours; written only when the listener says it changed."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.POWER
    _attr_native_unit_of_measurement = UnitOfPower.WATT
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, index: int, device: DeviceInfo) -> None:
        self._index = index
        self._attr_unique_id = f"{FLOOR}_{index}"
        self._attr_name = f"Value {index}"
        self._attr_device_info = device
        self._attr_native_value = index

    @callback
    def changed(self, refreshes: int) -> None:
        self._attr_native_value = self._index + refreshes
        self.async_write_ha_state()


async def _floor_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    coordinator = _FloorCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, [Platform.SENSOR])
    return True


async def _floor_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, [Platform.SENSOR])


async def _floor_sensors(
    hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
) -> None:
    coordinator: _FloorCoordinator = entry.runtime_data
    device = DeviceInfo(identifiers={(FLOOR, entry.entry_id)}, name="Floor")
    sensors = [_FloorSensor(index, device) for index in range(entry.data["entities"])]

    @callback
    def update() -> None:
        for sensor in sensors[: coordinator.changes]:
            sensor.changed(coordinator.refreshes)

    entry.async_on_unload(coordinator.async_add_listener(update))
    add(sensors)


class _FloorFlow(ConfigFlow):
    """Config entries need a flow handler; no flow is ever started."""


@pytest.fixture
def floor_flow() -> Iterator[None]:
    with mock_config_flow(FLOOR, _FloorFlow):
        yield


def _floor_entry(hass: HomeAssistant, sim: Simulator, entities: int, changes: int) -> Side:
    module = MockModule(
        FLOOR, async_setup_entry=_floor_setup_entry, async_unload_entry=_floor_unload_entry
    )
    mock_integration(hass, module)
    mock_platform(hass, f"{FLOOR}.config_flow")
    mock_platform(hass, f"{FLOOR}.sensor", MockPlatform(async_setup_entry=_floor_sensors))
    entry = MockConfigEntry(
        domain=FLOOR,
        title="Floor",
        data={
            CONF_HOST: sim.url,
            CONF_PASSWORD: sim.options.password,
            "entities": entities,
            "changes": changes,
        },
    )
    return Side("floor", entry)


async def _calibrate(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory, ours: Side
) -> int:
    """Ours' state changes per refresh, over rounds not otherwise counted: the floor's start."""
    probe = Side("ours", ours.entry, entity_ids=ours.entity_ids)
    for _ in range(CALIBRATION_ROUNDS):
        freezer.tick(INTERVAL)
        await _advance(sim.url)
        await _refresh(hass, sim, probe)
        _count_writes(hass, probe, dt_util.utcnow().timestamp())
    return round(probe.changed / probe.refreshes)


@pytest.mark.parametrize(("units", "title"), [(1, "1 unit"), (2, "2-unit cluster")])
@pytest.mark.usefixtures("floor_flow")
async def test_side_by_side(
    hass: HomeAssistant, start_sim: StartSim, request: pytest.FixtureRequest, units: int, title: str
) -> None:
    sim = await start_sim(units=units)
    freezer: FrozenDateTimeFactory = request.getfixturevalue("freezer")
    ours = Side("ours", entry_for(sim))
    core = Side(
        "core",
        MockConfigEntry(
            domain=CORE,
            title="Homevolt",
            unique_id=str(sim.system.units[0].ecu_hex),
            data={CONF_HOST: sim.url, CONF_PASSWORD: sim.options.password},
        ),
    )
    for side in (ours, core):
        await _first_setup(hass, side)
    # What follows set-up (ours: status, parameters and OTA, 2 s later) before counting entities.
    for side in (ours, core):
        await side.coordinator().async_refresh()
        await _idle(hass)
        _entities(hass, side)
    changes = await _calibrate(hass, sim, freezer, ours)
    floor = _floor_entry(hass, sim, ours.enabled, changes)
    await _first_setup(hass, floor)
    _entities(hass, floor)
    scenario = Scenario(title, ours, core, floor, changes)
    for _ in range(REPEATS):
        await _measure_setups(hass, scenario)
    # What follows the last set-up (ours: status, parameters and OTA, 2 s later).
    for side in scenario.sides:
        await side.coordinator().async_refresh()
        await _idle(hass)
    # One stretch of simulated time after the last set-up, so that the slow tiers come due.
    for _ in range(REPEATS):
        await _rounds(hass, sim, freezer, scenario)
    if PROFILE:
        await _profile(hass, freezer, scenario, units)
    await _CONTROL.pop().close()
    RESULTS.append(scenario)
    if len(RESULTS) == 2:
        _write_report(RESULTS)


async def _first_setup(hass: HomeAssistant, side: Side) -> None:
    """The first set-up imports the platforms: not part of what is compared."""
    side.entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(side.entry.entry_id), side.name
    await _idle(hass)
    assert side.entry.state is ConfigEntryState.LOADED, side.name
    _drive_by_hand(side)


# ----------------------------------------------------------------------------------------------
# the table


def _flat(repeats: list[list[float]]) -> list[float]:
    return [sample for repeat in repeats for sample in repeat]


def _p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


def _spread(values: list[float]) -> float:
    """(max - min) / median of the repeats' medians, in %."""
    return (max(values) - min(values)) / statistics.median(values) * 100


def _figures(side: Side) -> dict[str, float]:
    cpu = _flat(side.cpu)
    median = statistics.median(cpu)
    ems = side.requests.get("GET /ems.json", 0)
    return {
        "cpu_median_ms": median * 1000,
        "cpu_p90_ms": _p90(cpu) * 1000,
        "cpu_spread": _spread([statistics.median(repeat) for repeat in side.cpu]),
        "cpu_per_entity_us": median / side.enabled * 1e6,
        "changed": side.changed / side.refreshes,
        "reported": side.reported / side.refreshes,
        "requests_per_hour": sum(side.requests.values()) / side.hours,
        "kb_per_hour": sum(side.body_bytes.values()) / side.hours / 1000,
        "power_age_s": side.hours * 3600 / ems if ems else float("inf"),
        "setup_wall_ms": statistics.median(_flat(side.setup_wall)) * 1000,
        "setup_cpu_ms": statistics.median(_flat(side.setup_cpu)) * 1000,
        "setup_spread": _spread([statistics.median(repeat) for repeat in side.setup_wall]),
        "enabled": side.enabled,
        "registered": side.registered,
    }


ROWS: tuple[tuple[str, str, str], ...] = (
    ("CPU per refresh, median (ms)", "cpu_median_ms", "{:.2f}"),
    ("CPU per refresh, p90 (ms)", "cpu_p90_ms", "{:.2f}"),
    ("  spread of the repeats' medians (%)", "cpu_spread", "{:.0f}"),
    ("CPU per refresh per enabled entity (µs)", "cpu_per_entity_us", "{:.1f}"),
    ("state_changed per refresh", "changed", "{:.1f}"),
    ("state_reported per refresh", "reported", "{:.1f}"),
    ("requests per hour", "requests_per_hour", "{:.0f}"),
    ("kB per hour received (bodies)", "kb_per_hour", "{:.0f}"),
    ("power freshness: s between ems.json reads", "power_age_s", "{:.0f}"),
    ("set-up of an entry, median wall (ms)", "setup_wall_ms", "{:.1f}"),
    ("set-up of an entry, median loop CPU (ms)", "setup_cpu_ms", "{:.1f}"),
    ("  spread of the repeats' medians (%)", "setup_spread", "{:.0f}"),
    ("entities enabled by default", "enabled", "{:.0f}"),
    ("entities registered", "registered", "{:.0f}"),
)
FLOOR_ROWS = tuple(
    row
    for row in ROWS
    if row[1] in ("cpu_median_ms", "cpu_p90_ms", "changed", "setup_wall_ms", "enabled")
)
RATIOS = ("cpu_median_ms", "cpu_per_entity_us", "changed", "requests_per_hour", "setup_wall_ms")


def _write_report(results: list[Scenario]) -> None:
    figures = [(_figures(s.ours), _figures(s.core)) for s in results]
    width = max(len(label) for label, _, _ in ROWS) + 2
    lines = [
        "",
        "Side by side with Home Assistant core's homevolt (homevolt==0.7.0), one simulator,",
        f"{REPEATS} repeats x {ROUNDS} interleaved refreshes each ({HOURS:g} simulated h), "
        "CPU of the event-loop thread.",
        "",
        f"{'':{width}}"
        + "".join(f"{s.title + ': ours':>22}{'core':>9}{'ratio':>8}" for s in results),
    ]
    for label, key, form in ROWS:
        row = f"{label:{width}}"
        for ours, core in figures:
            ratio = f"{ours[key] / core[key]:.2f}" if key in RATIOS and core[key] else ""
            row += f"{form.format(ours[key]):>22}{form.format(core[key]):>9}{ratio:>8}"
        lines.append(row)
    lines += [
        "",
        "The floor: the least any integration can spend on ours' enabled entities and our",
        "state changes per refresh (one GET of ems.json decoded, those sensors written,",
        "nothing checked).",
        "",
        f"{'':{width}}"
        + "".join(f"{s.title + ': floor':>22}{'/core':>9}{'/ours':>8}" for s in results),
    ]
    floors = [_figures(s.floor) for s in results]
    for label, key, form in FLOOR_ROWS:
        row = f"{label:{width}}"
        for floor, (ours, core) in zip(floors, figures, strict=True):
            to_core = f"{floor[key] / core[key]:.2f}" if key in RATIOS and core[key] else ""
            to_ours = f"{floor[key] / ours[key]:.2f}" if key in RATIOS and ours[key] else ""
            row += f"{form.format(floor[key]):>22}{to_core:>9}{to_ours:>8}"
        lines.append(row)
    for scenario in results:
        ratios = [
            statistics.median(ours) / statistics.median(core)
            for ours, core in zip(scenario.ours.cpu, scenario.core.cpu, strict=True)
        ]
        lines.append(
            f"{scenario.title}: CPU ratio ours/core per repeat "
            + ", ".join(f"{ratio:.2f}" for ratio in ratios)
        )
    lines += [
        "",
        "CPU per refresh: from the refresh until Home Assistant is idle (state writes included).",
        "Writes: entities whose last_updated (changed) or else last_reported moved in the round.",
        f"Set-up: {SETUPS} per repeat of an entry set up before (modules already imported),",
        "until Home Assistant is idle. Bytes: response bodies as the simulator sent them.",
        "Core reads only the first unit of a cluster and keeps one of the two CT clamps.",
    ]
    for scenario in results:
        for side in scenario.sides:
            counts = ", ".join(
                f"{name.removeprefix('GET /')} {count / side.hours:.3g}"
                for name, count in sorted(side.requests.items())
            )
            lines.append(f"{scenario.title}, {side.name} requests per hour: {counts}")
    for scenario in results:
        for what, breakdown in scenario.profile.items():
            lines += ["", f"Ours, {scenario.title}, per {what} under cProfile (CPU):", *breakdown]
    if PROFILE:
        lines.append(f"cProfile of ours in full: {REPORT.parent}/profile-*.txt")
    cpu = max(ours["cpu_median_ms"] / core["cpu_median_ms"] for ours, core in figures)
    requests = max(ours["requests_per_hour"] / core["requests_per_hour"] for ours, core in figures)
    lines += [
        "",
        f"ratio cpu_per_refresh ours/core = {cpu:.2f}",
        f"ratio requests_per_hour ours/core = {requests:.2f}",
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
