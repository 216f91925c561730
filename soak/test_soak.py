"""The fault soak: Home Assistant with this integration against a simulator that misbehaves.

Run it with `scripts/soak` (not part of scripts/test). Each refresh advances the integration's
clock by one polling interval, so hours of polling take minutes. Faults come from the
simulator's own fault options (timeouts, 500s, truncated JSON, slow answers, reboots) and from
a hostile proxy in front of it (hung and trickling answers, resets, huge bodies, gzip bombs,
impossible values, single failing endpoints); the password is changed on the device once.

It counts what must never happen and prints a table, then
`soak: N refreshes, F faults, U unhandled, I implausible`.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import math
import random
import time
import tracemalloc
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homevolt_local_api import coordinator as coordinator_module
from custom_components.homevolt_local_api.api import HomevoltClient, HomevoltError
from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Faults, Simulator, SimulatorOptions
from simulator.threaded import SimulatorThread
from tests.hostile import HostileProxy

INTERVAL = timedelta(seconds=15)
DEADLINE = 0.25  # s: the client's request deadline, short so that hangs cost little real time
SOC = "sensor.homevolt_state_of_charge"
WIFI = "sensor.homevolt_wi_fi_signal"  # one of status.json's own entities

# Physical ranges of what Home Assistant may show, by unit of measurement.
RANGES = {
    "%": (0.0, 100.0),
    "Hz": (45.0, 65.0),
    "°C": (-50.0, 150.0),
    "W": (-1_000_000.0, 1_000_000.0),
    "kW": (-1000.0, 1000.0),
    "kWh": (0.0, 1e9),
    "Wh": (0.0, 1e12),
    "V": (0.0, 1000.0),
    "A": (-1000.0, 1000.0),
    "dBm": (-200.0, 50.0),
}

HOSTILE_VALUES: list[tuple[str, Callable[[Any], None]]] = [
    ("soc_avg 20000", lambda p: p["ems"][0]["ems_data"].update(soc_avg=20000)),
    ("soc_avg -500", lambda p: p["ems"][0]["ems_data"].update(soc_avg=-500)),
    ("soc_avg 1e308", lambda p: p["ems"][0]["ems_data"].update(soc_avg=1e308)),
    ("frequency 1e308", lambda p: p["ems"][0]["ems_data"].update(frequency=1e308)),
    ("frequency 500", lambda p: p["ems"][0]["ems_data"].update(frequency=500)),
    ("sys_temp 30000", lambda p: p["ems"][0]["ems_data"].update(sys_temp=30000)),
    ("power 1e308", lambda p: p["ems"][0]["ems_data"].update(power=1e308)),
    ("power 400 digits", lambda p: p["ems"][0]["ems_data"].update(power=10**400)),
    ("module soc -300", lambda p: p["ems"][0]["bms_data"][0].update(soc=-300)),
    ("energy 1e308", lambda p: [s.update(energy_imported=1e308) for s in p["sensors"]]),
    ("total_power -1e308", lambda p: [s.update(total_power=-1e308) for s in p["sensors"]]),
    ("ts 400 digits", lambda p: p.update(ts=10**400)),
    ("soc_avg true", lambda p: p["ems"][0]["ems_data"].update(soc_avg=True)),
    ("power as text", lambda p: p["ems"][0]["ems_data"].update(power="12.5")),
    ("soc_avg 0", lambda p: p["ems"][0]["ems_data"].update(soc_avg=0)),
    ("soc_avg 10000", lambda p: p["ems"][0]["ems_data"].update(soc_avg=10000)),
    ("power -0.0", lambda p: p["ems"][0]["ems_data"].update(power=-0.0)),
]
WRITES: list[tuple[str, dict[str, Any]]] = [
    ("charge", {"power": 1000}),
    ("discharge", {"power": 1500}),
    ("idle", {}),
]
WRITE_FAULTS = ["503:1", "502:1", "500:1", "reset:1"]
HOSTILE_STATUS: list[tuple[str, Callable[[Any], None]]] = [
    ("up_time 1e308", lambda p: p.update(up_time=1e308)),
    ("up_time 1e16", lambda p: p.update(up_time=1e16)),
    ("5000 levels deep", lambda p: p.update(junk=_nested(5000))),
]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@dataclass
class Phase:
    """A stretch of refreshes with one kind of fault."""

    name: str
    refreshes: int
    sim_faults: dict[str, float] = field(default_factory=dict)
    proxy_faults: list[tuple[str, str]] = field(default_factory=list)
    """(path, fault) drawn for a refresh with probability `rate`."""
    values: bool = False
    rate: float = 0.3
    writes: bool = True


PHASES = [
    Phase("clean", 150),
    Phase("500 errors", 150, sim_faults={"error": 0.25}),
    Phase("truncated JSON", 150, sim_faults={"truncate": 0.25}),
    Phase("timeouts (504 late)", 120, sim_faults={"timeout": 0.15, "hang_seconds": 0.05}),
    Phase("slow answers", 120, sim_faults={"slow": 0.3, "slow_seconds": 0.02}),
    Phase("reboots", 150, sim_faults={"reboot": 0.01}),
    Phase("hung and trickling", 150, proxy_faults=[("/ems.json", "hang"), ("*", "trickle")]),
    Phase("resets, 502-504", 150, proxy_faults=[("*", "reset:1"), ("*", "503:1"), ("*", "502")]),
    Phase("huge and gzip bombs", 120, proxy_faults=[("/ems.json", "huge"), ("*", "bomb")]),
    Phase(
        "one endpoint fails",
        150,
        proxy_faults=[("/status.json", "500"), ("/schedule.json", "garbage")],
        rate=0.5,
    ),
    Phase("hostile values", 300, values=True, rate=0.5),
    Phase(
        "everything at once",
        340,
        sim_faults={"error": 0.05, "truncate": 0.05, "slow": 0.05, "slow_seconds": 0.02},
        proxy_faults=[("*", "reset:1"), ("/ems.json", "bomb"), ("/status.json", "hang")],
        values=True,
        rate=0.2,
    ),
]


class Unhandled(logging.Handler):
    """Counts tracebacks and unhandled errors on Home Assistant's side."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.warnings: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("aiohttp.server", "aiohttp.access", "asyncio")):
            return  # the hostile proxy's own complaints about connections it broke
        if record.levelno == logging.WARNING and record.name.startswith("custom_components"):
            self.warnings[record.getMessage().split(":")[0]] += 1
        message = record.getMessage()
        if (
            (record.exc_info and record.levelno > logging.DEBUG)
            or "Traceback" in message
            or (record.name == "homeassistant" and record.levelno >= logging.ERROR)
            or "Unexpected error" in message
        ):
            self.records.append(record)


@dataclass
class Row:
    """What one phase counted."""

    refreshes: int = 0
    faults: int = 0
    failed_polls: int = 0
    stale_while_failing: int = 0
    recovered_first_good: int = 0
    late_recovery: int = 0
    status_only: int = 0
    implausible: int = 0
    writes: int = 0
    writes_twice: int = 0


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None, socket_enabled: None) -> None:
    """Load our integration; let it reach the simulator on 127.0.0.1."""


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator on its own thread, its clock running 30 times faster than ours."""
    options = SimulatorOptions(
        port=0,
        speed=30.0,
        start=datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
        reboot_seconds=0.2,
        backoff_base=0.01,
        seed=11,
    )
    thread = SimulatorThread(options)
    yield thread.start()
    thread.stop()


def _implausible(hass: HomeAssistant, entity_ids: list[str]) -> list[str]:
    found = []
    for entity_id in entity_ids:
        state = hass.states.get(entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, "unknown"):
            continue
        unit = state.attributes.get("unit_of_measurement")
        try:
            value = float(state.state)
        except ValueError:
            continue
        low, high = RANGES.get(unit, (-math.inf, math.inf))
        if not math.isfinite(value) or not low <= value <= high:
            found.append(f"{entity_id}={state.state}{unit or ''}")
    return found


async def _peak_memory(url: str, fault: str, proxy: HostileProxy) -> tuple[float, str]:
    """Peak Python memory (MiB) while the client refuses one hostile answer."""
    proxy.faults["/ems.json"] = fault
    async with aiohttp.ClientSession() as session:
        client = HomevoltClient(url, "homevolt", session=session)
        tracemalloc.start()
        try:
            await client.ems()
            outcome = "accepted"
        except HomevoltError as err:
            outcome = str(err)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            del proxy.faults["/ems.json"]
    return peak / 2**20, outcome


async def test_soak(hass: HomeAssistant, sim: Simulator) -> None:
    """Refresh 2000 times through every kind of fault; nothing may leak into Home Assistant."""
    started = time.monotonic()
    rng = random.Random(7)
    proxy = HostileProxy(sim.url)
    proxy.hang_seconds = 2.0
    proxy.trickle_interval = 0.02
    await proxy.start()
    unhandled = Unhandled()
    logging.getLogger().addHandler(unhandled)
    # The hostile proxy's server logs each connection it breaks on purpose; not ours to count.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    clock = SimpleNamespace(now=datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    fake_dt = SimpleNamespace(utcnow=lambda: clock.now)
    table: dict[str, Row] = {}
    total = Row()
    password_row = {"requests while wrong": 0, "after reauth started": 0, "refreshes": 0}
    try:
        with (
            patch("custom_components.homevolt_local_api.api.client.REQUEST_DEADLINE", DEADLINE),
            patch.object(coordinator_module, "dt_util", fake_dt),
        ):
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="Homevolt",
                unique_id=sim.system.units[0].ecu_hex,
                data={CONF_HOST: proxy.url, CONF_PASSWORD: "homevolt"},
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            await hass.services.async_call(
                "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
            )
            registry = er.async_get(hass)
            entity_ids = [
                item.entity_id
                for item in er.async_entries_for_config_entry(registry, entry.entry_id)
            ]
            device_id = next(
                device.id
                for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
                if device.via_device_id is None
            )
            failed_before = False
            for phase in PHASES:
                row = table.setdefault(phase.name, Row())
                sim.faults = Faults(**phase.sim_faults)
                for index in range(phase.refreshes):
                    coordinator = entry.runtime_data.coordinator
                    proxy.clear()
                    fault_now = bool(phase.sim_faults)
                    if phase.proxy_faults and rng.random() < phase.rate:
                        path, fault = rng.choice(phase.proxy_faults)
                        proxy.faults[path] = fault
                    if phase.values and rng.random() < phase.rate:
                        proxy.mutations["/ems.json"] = rng.choice(HOSTILE_VALUES)[1]
                        proxy.mutations["/status.json"] = rng.choice(HOSTILE_STATUS)[1]
                    before = sum(proxy.requests.values())
                    served = proxy.served.total()
                    clock.now += INTERVAL
                    await coordinator.async_refresh()
                    await hass.async_block_till_done()
                    row.refreshes += 1
                    # Only a fault the proxy really served counts (or the simulator's own odds).
                    fault_now = fault_now or proxy.served.total() > served
                    row.faults += fault_now and sum(proxy.requests.values()) > before
                    soc = hass.states.get(SOC)
                    shown = soc.state if soc else STATE_UNAVAILABLE
                    if not coordinator.last_update_success:
                        row.failed_polls += 1
                        row.stale_while_failing += shown != STATE_UNAVAILABLE
                        failed_before = True
                    else:
                        if failed_before:
                            if shown == STATE_UNAVAILABLE:
                                row.late_recovery += 1
                            else:
                                row.recovered_first_good += 1
                        failed_before = False
                        wifi = hass.states.get(WIFI)
                        assert wifi is not None, WIFI  # else the column below counts nothing
                        if wifi.state == STATE_UNAVAILABLE:
                            row.status_only += 1
                    bad = _implausible(hass, entity_ids)
                    if bad:
                        row.implausible += len(bad)
                        print("implausible:", bad)
                    if phase.writes and index % 25 == 12:
                        if phase.proxy_faults:
                            # The command's own answer is lost: it must still go out once.
                            proxy.clear()
                            proxy.faults["/console.json"] = rng.choice(WRITE_FAULTS)
                        posts = proxy.requests["POST /console.json"]
                        # Refused or failed with a sentence: expected under faults.
                        # (The actions, not the mode select: a charging mode picked there
                        # from idle has no setpoint and is refused before anything is sent.)
                        action, data = WRITES[(index // 25) % len(WRITES)]
                        with contextlib.suppress(HomeAssistantError):
                            await hass.services.async_call(
                                DOMAIN, action, {"device_id": device_id, **data}, blocking=True
                            )
                        sent = proxy.requests["POST /console.json"] - posts
                        row.writes += sent > 0  # writes that reached the device
                        row.writes_twice += sent > 1
                proxy.clear()
                sim.faults = Faults()

            # The password is changed on the device: polls follow Home Assistant's own
            # schedule now (a failed login stops it), so count what reaches the device.
            sim.faults = Faults()
            sim.options.password = "changed-on-device"
            for _ in range(40):
                coordinator = entry.runtime_data.coordinator
                reauth = bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN))
                before = sum(proxy.requests.values())
                clock.now += INTERVAL
                if coordinator._unsub_refresh is not None or not password_row["refreshes"]:
                    await coordinator.async_refresh()
                    password_row["refreshes"] += 1
                await hass.async_block_till_done()
                sent = sum(proxy.requests.values()) - before
                password_row["requests while wrong"] = max(
                    password_row["requests while wrong"], sent
                )
                if reauth:
                    password_row["after reauth started"] += sent
            sim.options.password = "homevolt"
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
                hass.config_entries.flow.async_abort(flow["flow_id"])
            # The device may still be locking logins after the wrong ones (real seconds on the
            # simulator's clock): the owner would retry once the lock is over.
            for _ in range(60):
                if await hass.config_entries.async_reload(entry.entry_id):
                    break
                for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
                    hass.config_entries.flow.async_abort(flow["flow_id"])
                await asyncio.sleep(0.5)
            await hass.async_block_till_done()
            assert entry.state is ConfigEntryState.LOADED
            back = entry.runtime_data.coordinator
            clock.now += INTERVAL
            await back.async_refresh()
            await hass.async_block_till_done()
            recovered_after_password = hass.states.get(SOC).state != STATE_UNAVAILABLE

            huge_peak, huge_outcome = await _peak_memory(proxy.url, "huge", proxy)
            bomb_peak, bomb_outcome = await _peak_memory(proxy.url, "bomb", proxy)
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    finally:
        logging.getLogger().removeHandler(unhandled)
        await proxy.stop()

    for row in table.values():
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    refreshes = total.refreshes + password_row["refreshes"] + 1
    columns = [
        ("refreshes", "refreshes"),
        ("faults", "faulty"),
        ("failed_polls", "failed"),
        ("stale_while_failing", "stale"),
        ("recovered_first_good", "back"),
        ("late_recovery", "late"),
        ("status_only", "status-only"),
        ("implausible", "implaus."),
        ("writes", "writes"),
        ("writes_twice", "twice"),
    ]
    lines = [
        "",
        f"{'phase':<22}" + "".join(f"{title:>12}" for _, title in columns),
    ]
    for name, row in [*table.items(), ("total", total)]:
        lines.append(f"{name:<22}" + "".join(f"{getattr(row, key):>12}" for key, _ in columns))
    lines += [
        "",
        "faulty: refreshes with faults switched on; failed: polls that failed (all entities",
        "unavailable); stale: failed polls that still showed a state of charge (must be 0);",
        "back: first good poll after a failure shows the state of charge again; late: it did",
        "not (must be 0); status-only: good polls with only status.json's entities unavailable;",
        "writes: actions whose command reached the device; twice: actions that sent their",
        "command more than once (must be 0).",
        "",
        f"password changed on the device: {password_row['refreshes']} refreshes attempted, at "
        f"most {password_row['requests while wrong']} request(s) in one interval, "
        f"{password_row['after reauth started']} after reauth started; back after reload: "
        f"{recovered_after_password}",
        f"peak Python memory refusing a 50 MiB answer: {huge_peak:.1f} MiB ({huge_outcome})",
        f"peak Python memory refusing a 0.1 MiB gzip bomb (100 MiB): {bomb_peak:.1f} MiB "
        f"({bomb_outcome})",
        f"warnings logged once per field: {sum(unhandled.warnings.values())} in total",
        f"real time: {time.monotonic() - started:.0f} s",
    ]
    for record in unhandled.records[:5]:
        lines.append(f"UNHANDLED: {record.name}: {record.getMessage()[:300]}")
    lines.append(
        f"soak: {refreshes} refreshes, {total.faults + password_row['refreshes']} faults, "
        f"{len(unhandled.records)} unhandled, {total.implausible} implausible"
    )
    print("\n".join(lines))
    assert not unhandled.records
    assert total.implausible == 0
    assert total.stale_while_failing == 0
    assert total.late_recovery == 0
    assert total.writes_twice == 0
    # A failing status.json took only its own entities (the column counts something real),
    # and a failing status.json or schedule.json never the whole poll.
    assert total.status_only > 0
    assert table["one endpoint fails"].failed_polls == 0
    assert password_row["after reauth started"] == 0
    assert password_row["requests while wrong"] <= 1
