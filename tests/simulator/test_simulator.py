"""The virtual Homevolt, driven over HTTP with the project's own client."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.homevolt_local_api.api import (
    BatteryMode,
    HomevoltAuthenticationError,
    HomevoltConnectionError,
    HomevoltModeNotSupportedError,
    HomevoltResponseError,
    HomevoltTimeoutError,
    ScheduleSource,
    SensorFunction,
)
from simulator.__main__ import parse_args
from simulator.server import Faults
from tests.conftest import load_fixture


async def test_auth_and_back_off(
    start_sim: Any, client_for: Any, session: aiohttp.ClientSession
) -> None:
    sim = await start_sim(password="pw")
    good = client_for(sim)
    assert (await good.status()).uptime >= timedelta(0)
    async with session.get(f"{sim.url}/status.json") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    bad = client_for(sim)
    bad._headers = {"Authorization": aiohttp.encode_basic_auth("admin", "wrong")}
    with pytest.raises(HomevoltAuthenticationError):
        await bad.status()
    # While the device backs off it refuses even the right password.
    with pytest.raises(HomevoltAuthenticationError):
        await good.status()
    await asyncio.sleep(0.25)
    await good.status()
    # Each failure doubles the lockout: 0.2 s, then 0.4 s.
    for _ in range(2):
        with pytest.raises(HomevoltAuthenticationError):
            await bad.status()
        await asyncio.sleep(0.25)
    with pytest.raises(HomevoltAuthenticationError):
        await good.status()  # still locked: the second lockout was 0.4 s
    await asyncio.sleep(0.5)
    await good.status()


async def test_password_changed_through_the_control(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim(password="pw")
    old = client_for(sim)
    await old.status()
    await control_for(sim)("password", {"password": "new"})
    with pytest.raises(HomevoltAuthenticationError):
        await old.status()
    await asyncio.sleep(0.25)  # the failure's back-off
    assert (await client_for(sim).status()).uptime >= timedelta(0)


async def test_no_password(start_sim: Any, session: aiohttp.ClientSession) -> None:
    sim = await start_sim(password=None)
    async with session.get(f"{sim.url}/ems.json") as response:
        assert response.status == 200


async def test_counts_requests_and_body_bytes(
    start_sim: Any, session: aiohttp.ClientSession, control_for: Any
) -> None:
    sim = await start_sim(password=None)
    sizes = []
    for _ in range(2):
        async with session.get(f"{sim.url}/ems.json") as response:
            sizes.append(len(await response.read()))
    assert sim.requests["GET /ems.json"] == 2
    assert sim.sent_bytes["GET /ems.json"] == sum(sizes)
    assert (await control_for(sim)("state"))["sent_bytes"] == {"GET /ems.json": sum(sizes)}
    async with session.delete(f"{sim.url}/_sim/requests") as response:
        assert response.status == 200
    assert not sim.requests and not sim.sent_bytes


async def test_paths(start_sim: Any, session: aiohttp.ClientSession) -> None:
    sim = await start_sim(password=None)
    for path, status in [
        ("/nope.json", 404),
        ("/ct.json?node_id=1", 200),
        ("/ct.json?node_id=2", 404),
        ("/ct.json", 400),
        ("/mains_data.json", 200),
        ("/nodes.json", 200),
        ("/error_report.json", 200),
        ("/ota_manifest.json", 200),
    ]:
        async with session.get(f"{sim.url}{path}") as response:
            assert response.status == status, path
    async with session.post(f"{sim.url}/ems.json") as response:
        assert response.status == 405
    async with session.post(f"{sim.url}/console.json", data={}) as response:
        assert response.status == 400


async def test_inverter_charge_until_max_soc(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    await control("unit", {"index": 0, "soc": 95.0})
    await client.set_schedule(BatteryMode.INVERTER_CHARGE, setpoint=3000, max_soc=97)
    await control("clock", {"advance": 10})
    ems = await client.ems()
    assert ems.battery_power == -3000
    assert ems.leader.state_of_charge > 95
    # 2 % of 13.3 kWh at 3 kW takes under 6 minutes.
    await control("clock", {"advance": 600})
    ems = await client.ems()
    assert ems.battery_power == 0
    assert 97 <= ems.leader.state_of_charge < 97.5
    # Energy balance: house = grid + solar + battery.
    assert ems.house_power == pytest.approx(
        ems.grid_power + ems.solar_power + ems.battery_power, abs=2
    )


async def test_discharge_stops_at_min_soc_param(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    params = await client.set_minimum_soc(40)
    assert params["battery_min_soc"].scalar == 40
    await control("unit", {"index": 0, "soc": 41.0})
    await client.discharge(4000)
    await control("clock", {"advance": 10})
    assert (await client.ems()).battery_power == 4000
    await control("clock", {"advance": 900})
    ems = await client.ems()
    assert ems.battery_power == 0
    assert ems.leader.state_of_charge == pytest.approx(40, abs=0.6)


async def test_grid_modes_follow_the_grid_meter(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    await control("unit", {"index": 0, "soc": 50.0})
    await client.set_schedule(BatteryMode.GRID_CHARGE_DISCHARGE, setpoint=-1000)
    await control("clock", {"advance": 10})
    ems = await client.ems()
    assert ems.grid_power == pytest.approx(-1000, abs=5)


async def test_console_commands(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    await client.set_schedule(BatteryMode.IDLE)
    zone = ZoneInfo("Europe/Stockholm")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    end = start + timedelta(hours=2)
    schedule = await client.add_schedule_entry(
        BatteryMode.GRID_CHARGE, start, end, setpoint=2000, max_soc=90
    )
    added = schedule.entries[-1]
    assert (added.start, added.end) == (start, end)
    assert added.limits.max_soc == 90
    # The console reads --from/--to as the device's local time.
    wall = start.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    wall_end = end.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    text = await control.console(f"sched_add 0 --from={wall} --to={wall_end}")
    assert "executed successfully" in text
    entries = (await client.schedule()).entries
    assert entries[-1].start == start
    listing = await control.console("sched_list")
    assert "Active Schedules (3)" in listing
    schedule = await client.delete_schedule_entry(added.id)
    assert schedule.entry(added.id) is None
    assert "returned non-zero error code" in await control.console("sched_del 999")
    assert (await client.clear_schedule()).entries == ()
    assert "Unrecognized command" in await control.console("rm -rf /")
    for bad in (
        "sched_set 1 -z 5",
        "sched_set 1 -s",
        "sched_set 12",
        "sched_set",
        "sched_set x",
        "sched_add 1",
        "sched_set 1 --min=120",
        "sched_add 1 --from=2030-01-01T10:00:00 --to=2030-01-01T09:00:00",
        "sched_add 1 --from=tomorrow",
        "sched_set 1 --bogus=1",
        "sched_clear now",
    ):
        assert "returned non-zero error code" in await control.console(bad), bad
    assert "executed successfully" in await control.console(
        "sched_set 1 -s3000 --setpoint 3000 -oa"
    )
    assert "executed successfully" in await control.console("sched_set 5 -s -2000")
    entry = (await client.schedule()).entries[0]
    assert entry.limits.setpoint == -2000


async def test_param_commands_and_reset(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    assert "settings_local: False" in await control.console("param_get settings_local")
    assert "executed successfully" in await control.console("param_set ledstrip_bright_max 50")
    assert "executed successfully" in await control.console(
        "param_set -c ems_idle_power_threshold 90"
    )
    await client.set_parameter("import_limitation_w", 9000, persist=False)
    await client.set_parameter("export_limitation_w", 4000, persist=True)
    assert "ledstrip_bright_max: 50" in await control.console("param_list -n")
    assert "returned non-zero" in await control.console("param_get nope")
    assert "returned non-zero" in await control.console("param_set settings_local maybe")
    assert "Reboot aborted" in await control.console("reset 0")
    assert "Rebooting" in await control.console("reset 50")
    await asyncio.sleep(0.1)
    with pytest.raises(HomevoltConnectionError):
        await client.status()
    await asyncio.sleep(0.4)
    params = await client.params()
    assert params["ledstrip_bright_max"].scalar == 100  # not stored: reverted
    assert params["ems_idle_power_threshold"].scalar == 90  # param_set -c
    assert params["import_limitation_w"].scalar == 0  # store=0
    assert params["export_limitation_w"].scalar == 4000  # store=1
    assert (await client.status()).uptime < timedelta(seconds=5)
    # param_store keeps what was set since.
    await control.console("param_set ledstrip_bright_max 70")
    await control.console("param_store")
    await control("reboot", {})
    await asyncio.sleep(0.4)
    assert (await client.params())["ledstrip_bright_max"].scalar == 70


async def test_sched_set_lost_on_reboot_but_windows_survive(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    await client.charge(2000)
    start = datetime.now(UTC) + timedelta(hours=1)
    await client.add_schedule_entry(BatteryMode.IDLE, start, start + timedelta(hours=1))
    await control("reboot", {})
    await asyncio.sleep(0.4)
    entries = (await client.schedule()).entries
    assert [entry.mode for entry in entries] == [BatteryMode.IDLE]


async def test_remote_plan_replaces_local_schedule_without_local_mode(
    start_sim: Any, client_for: Any, control_for: Any
) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    schedule = await client.schedule()
    assert schedule.local_mode is False
    assert schedule.source is ScheduleSource.REMOTE
    assert len(schedule.entries) == 4
    await client.charge(2000)
    assert (await client.schedule()).source is ScheduleSource.LOCAL
    await control("clock", {"advance": 901})
    schedule = await client.schedule()
    assert schedule.source is ScheduleSource.REMOTE
    # With local mode on, the local schedule stays.
    await client.set_local_mode(True)
    await client.charge(2000)
    await control("clock", {"advance": 3600})
    assert (await client.schedule()).source is ScheduleSource.LOCAL
    report = {item.name: item for item in await client.error_report()}
    assert not report["local_mode_disabled"].active


@pytest.mark.parametrize("firmware", ["2025", "2026"])
async def test_firmware_shapes(
    start_sim: Any, client_for: Any, session: aiohttp.ClientSession, firmware: str
) -> None:
    sim = await start_sim(firmware=firmware, password=None)
    async with session.get(f"{sim.url}/ems.json") as response:
        raw = await response.json()
    client = client_for(sim)
    ems = await client.ems()
    assert ems.house_power is not None and ems.house_power > 0
    load = next(item for item in raw["sensors"] if item.get("function", item.get("type")) == "load")
    if firmware == "2025":
        assert isinstance(raw["ems"][0]["ecu_id"], int)
        assert all("type" in item and "function" not in item for item in raw["sensors"])
        assert {phase["power"] for phase in load["phase"]} == {0}
        assert "bms_data" in raw["aggregated"]
        assert ems.device_utc_offset is None
        assert not any(s.function is SensorFunction.BATTERY for s in ems.sensors)
    else:
        assert isinstance(raw["ems"][0]["ecu_id"], str)
        assert all("function" in item and "sensor_type" in item for item in raw["sensors"])
        assert "bms_data" not in raw["aggregated"]
        assert ems.device_utc_offset in (timedelta(hours=1), timedelta(hours=2))
    # Either form on the wire, one form in the model.
    assert ems.leader.ecu_id == sim.system.units[0].ecu_hex


@pytest.mark.parametrize(
    ("firmware", "sample"), [("2025", "ems_2025.json"), ("2026", "ems_2026_cluster.json")]
)
async def test_unit_blocks_carry_every_block_of_a_real_payload(
    start_sim: Any, session: aiohttp.ClientSession, firmware: str, sample: str
) -> None:
    """Other clients index these blocks directly (core's library needs `ems_current`)."""
    sim = await start_sim(firmware=firmware, password=None, units=2)
    async with session.get(f"{sim.url}/ems.json") as response:
        raw = await response.json()
    expected = set(load_fixture(sample)["ems"][0]) - {"peer"}
    for block in raw["ems"]:
        assert expected <= set(block), expected - set(block)
        assert set(block["ems_current"]) == {"l1", "l2", "l3"}
        assert all(isinstance(value, int) for value in block["ems_current"].values())


async def test_unsupported_mode_on_older_firmware(start_sim: Any, client_for: Any) -> None:
    sim = await start_sim(firmware="2025")
    client = client_for(sim)
    await client.set_local_mode(True)
    with pytest.raises(HomevoltModeNotSupportedError):
        await client.set_schedule(BatteryMode.SOLAR_CHARGE)
    await client.set_schedule(BatteryMode.FREQUENCY_RESERVE)


async def test_three_unit_cluster(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim(units=3)
    client, control = client_for(sim), control_for(sim)
    await client.set_local_mode(True)
    for index in range(3):
        await control("unit", {"index": index, "soc": 50.0})
    await client.discharge(9000)
    await control("clock", {"advance": 10})
    ems = await client.ems()
    assert len(ems.units) == 3
    assert [unit.is_leader for unit in ems.units] == [True, False, False]
    assert [unit.power for unit in ems.units] == [3000, 3000, 3000]
    assert ems.battery_power == 9000
    assert ems.rated_power == 18000
    # A follower in fault stops; the others share the load.
    await control("unit", {"index": 2, "fault": True})
    await control("clock", {"advance": 10})
    ems = await client.ems()
    assert ems.units[2].is_faulted and ems.units[2].operating_state == "fault"
    assert [unit.power for unit in ems.units] == [4500, 4500, 0]
    assert ems.state_of_charge == pytest.approx(
        sum(unit.state_of_charge for unit in ems.units) / 3, abs=0.01
    )


async def test_counters_only_grow(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim(seed=7)
    client, control = client_for(sim), control_for(sim)
    before = await client.ems()
    await control("clock", {"advance": 6 * 3600})
    after = await client.ems()
    for name in (
        "grid_imported_energy",
        "grid_exported_energy",
        "solar_produced_energy",
        "house_consumed_energy",
        "battery_charged_energy",
        "battery_discharged_energy",
    ):
        assert getattr(after, name) >= getattr(before, name), name
    assert after.house_consumed_energy > before.house_consumed_energy


async def test_https(start_sim: Any, client_for: Any) -> None:
    sim = await start_sim(https=True)
    assert sim.url.startswith("https://")
    assert (await client_for(sim).status()).uptime >= timedelta(0)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("timeout", HomevoltTimeoutError),
        ("error", HomevoltConnectionError),
        ("truncate", HomevoltResponseError),
        ("reboot", HomevoltConnectionError),
    ],
)
async def test_faults(
    start_sim: Any, client_for: Any, control_for: Any, fault: str, error: type
) -> None:
    sim = await start_sim(password=None)
    client = client_for(sim, timeout=aiohttp.ClientTimeout(total=0.5))
    control = control_for(sim)
    await control("faults", {fault: 1.0, "hang_seconds": 2})
    with pytest.raises(error):
        await client.ems()
    await control("faults", {fault: 0.0})
    await asyncio.sleep(0.4)
    assert (await client.ems()).units


async def test_slow_answers(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim(password=None)
    control = control_for(sim)
    await control("faults", {"slow": 1.0, "slow_seconds": 0.3})
    loop = asyncio.get_running_loop()
    began = loop.time()
    await client_for(sim).status()
    assert loop.time() - began >= 0.3


async def test_post_params_json_body(start_sim: Any, session: aiohttp.ClientSession) -> None:
    sim = await start_sim(password=None)
    async with session.post(f"{sim.url}/params.json", json={"settings_local": 1}) as response:
        assert response.status == 200
    async with session.get(f"{sim.url}/schedule.json") as response:
        assert (await response.json())["local_mode"] is True
    for form in ({"k": "nope", "v": "1"}, {"k": "battery_min_soc", "v": "300"}, {"v": "1"}):
        async with session.post(f"{sim.url}/params.json", data=form) as response:
            assert response.status == 400


async def test_control_errors(start_sim: Any, session: aiohttp.ClientSession) -> None:
    sim = await start_sim()
    async with session.post(f"{sim.url}/_sim/unit", json={"index": 5}) as response:
        assert response.status == 400
    async with session.post(f"{sim.url}/_sim/nope", json={}) as response:
        assert response.status == 404


def test_command_line() -> None:
    options = parse_args(
        [
            "--units",
            "3",
            "--firmware",
            "2025",
            "--no-password",
            "--https",
            "--speed",
            "60",
            "--faults",
            "timeout=0.1,error=0.2",
        ]
    )
    assert (options.units, options.firmware, options.password, options.https) == (
        3,
        "2025",
        None,
        True,
    )
    assert options.faults == Faults(timeout=0.1, error=0.2)
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("explode=1")


async def test_ota_manifest_states(start_sim: Any, client_for: Any, control_for: Any) -> None:
    sim = await start_sim()
    client, control = client_for(sim), control_for(sim)
    (update,) = await client.ota_manifest()
    assert update.up_to_date and update.current_version == (await client.status()).esp_firmware
    await control("ota", {"available": "3101-5c7d9e02"})
    (update,) = await client.ota_manifest()
    assert (update.up_to_date, update.latest_version) == (False, "3101-5c7d9e02")
    await control("ota", {"state": "downloading", "progress": 0})
    assert (await client.status()).ota_in_progress
    await control("clock", {"advance": 300})  # half of the simulated update's ten minutes
    (update,) = await client.ota_manifest()
    assert update.in_progress and update.progress == 50
    await control("clock", {"advance": 300})
    (update,) = await client.ota_manifest()
    assert update.state == "complete" and update.current_version == "3101-5c7d9e02"
    assert update.up_to_date and not (await client.status()).ota_in_progress


async def test_ota_manifest_absent(start_sim: Any, session: aiohttp.ClientSession) -> None:
    sim = await start_sim(password=None, ota_manifest=False)
    async with session.get(f"{sim.url}/ota_manifest.json") as response:
        assert response.status == 404
