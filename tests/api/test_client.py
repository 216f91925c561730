"""The client over real HTTP on 127.0.0.1: transport, errors, writes and their read-back."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.homevolt_local_api.api import (
    BatteryMode,
    HomevoltAuthenticationError,
    HomevoltClient,
    HomevoltCommandError,
    HomevoltConnectionError,
    HomevoltModeNotSupportedError,
    HomevoltOutcomeUnknownError,
    HomevoltResponseError,
    HomevoltTimeoutError,
    HomevoltUnsupportedError,
    HomevoltValidationError,
    normalize_host,
)
from simulator.tls import self_signed_context
from tests.api.conftest import FakeDevice, never
from tests.conftest import load_fixture

OK = "ecu-hub-esp32>  {cmd}\nCommand '{cmd}' executed successfully\n"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("192.168.1.50", "http://192.168.1.50/"),
        ("homevolt-abc.local", "http://homevolt-abc.local/"),
        ("192.168.1.50:8080", "http://192.168.1.50:8080/"),
        ("https://homevolt-abc.local", "https://homevolt-abc.local/"),
        (" http://10.0.0.2/ ", "http://10.0.0.2/"),
        ("fe80::1", "http://[fe80::1]/"),
    ],
)
def test_host_forms(host: str, url: str) -> None:
    assert str(normalize_host(host)) == url


@pytest.mark.parametrize("host", ["", "   ", "ftp://x", "http://", "http://x/admin", "a b c:99999"])
def test_bad_hosts(host: str) -> None:
    with pytest.raises(HomevoltValidationError):
        normalize_host(host)


async def test_reads_with_basic_auth(device: FakeDevice, make_client: Any) -> None:
    device.json("/ems.json", load_fixture("ems_2026_cluster.json"))
    device.json("/status.json", load_fixture("status_2026.json"))
    device.json("/schedule.json", load_fixture("schedule_remote.json"))
    device.json("/params.json", load_fixture("params_doc.json"))
    device.json("/error_report.json", load_fixture("error_report.json"))
    client = make_client("secret")
    assert (await client.ems()).leader.ecu_id == "68b6b34cda94"
    assert (await client.status()).esp_firmware == "3056-1a3446ed"
    assert len((await client.schedule()).entries) == 3
    assert "smart_cli_mode" in await client.params()
    assert len(await client.error_report()) == 2
    # "admin:secret", and nothing run in parallel.
    assert {seen.headers["Authorization"] for seen in device.seen} == {"Basic YWRtaW46c2VjcmV0"}
    assert device.max_in_flight == 1


async def test_no_password_sends_no_header(device: FakeDevice, make_client: Any) -> None:
    device.json("/status.json", load_fixture("status_2026.json"))
    await make_client(None).status()
    assert "Authorization" not in device.seen[0].headers


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, HomevoltAuthenticationError),
        (403, HomevoltAuthenticationError),
        (404, HomevoltUnsupportedError),
        (500, HomevoltConnectionError),
        (503, HomevoltConnectionError),
        (400, HomevoltResponseError),
        (302, HomevoltResponseError),
    ],
)
async def test_http_errors(device: FakeDevice, make_client: Any, status: int, error: type) -> None:
    device.text("/ems.json", "nope", status=status)
    with pytest.raises(error):
        await make_client().ems()


@pytest.mark.parametrize("body", ["{", "", "<html>", '{"ems": NaN}', "[" * 100_000])
async def test_invalid_json(device: FakeDevice, make_client: Any, body: str) -> None:
    device.text("/ems.json", body)
    with pytest.raises(HomevoltResponseError):
        await make_client().ems()


async def test_timeout(device: FakeDevice, make_client: Any) -> None:
    device.route("GET", "/ems.json", never)
    client = make_client(timeout=aiohttp.ClientTimeout(total=0.2))
    with pytest.raises(HomevoltTimeoutError):
        await client.ems()


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    server = TestServer(web.Application(), host="127.0.0.1")
    await server.start_server()
    port = server.port
    await server.close()
    client = HomevoltClient(f"127.0.0.1:{port}", session=session)
    with pytest.raises(HomevoltConnectionError, match="cannot connect"):
        await client.status()


async def test_https_self_signed(session: aiohttp.ClientSession) -> None:
    async def status(_: web.Request) -> web.Response:
        return web.json_response(load_fixture("status_2026.json"))

    app = web.Application()
    app.router.add_get("/status.json", status)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(ssl=self_signed_context())
    try:
        host = f"https://127.0.0.1:{server.port}"
        unverified = HomevoltClient(host, session=session, verify_ssl=False)
        assert (await unverified.status()).uptime > timedelta(0)
        with pytest.raises(HomevoltConnectionError):
            await HomevoltClient(host, session=session, verify_ssl=True).status()
    finally:
        await server.close()


# ------------------------------------------------------------------------------------------
# writes


def _manual(*entries: dict[str, Any], local_mode: bool = True) -> dict[str, Any]:
    return {"local_mode": local_mode, "schedule_id": "Manual Schedule", "schedule": list(entries)}


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


class ConsoleDevice:
    """Answers the console like a unit and keeps schedule.json in step (or not, on demand)."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self.schedule: dict[str, Any] = _manual()
        self.on_command: Any = None
        device.json("/ems.json", load_fixture("ems_2026_cluster.json"))
        device.route("GET", "/schedule.json", self._schedule)
        device.route("POST", "/console.json", self._console)

    async def _schedule(self, _: web.Request) -> web.Response:
        return web.json_response(self.schedule)

    async def _console(self, request: web.Request) -> web.Response:
        command = (await request.post())["cmd"]
        assert isinstance(command, str)
        if self.on_command is not None:
            answer = await self.on_command(command)
            if answer is not None:
                return answer
        return web.Response(text=OK.format(cmd=command))

    @property
    def commands(self) -> list[str]:
        return [seen.form["cmd"] for seen in self.device.posts("/console.json")]


@pytest.fixture
def console(device: FakeDevice) -> ConsoleDevice:
    return ConsoleDevice(device)


async def test_set_schedule_sends_and_reads_back(console: ConsoleDevice, make_client: Any) -> None:
    async def apply(command: str) -> None:
        console.schedule = _manual(
            {"id": 1, "from": _now(), "to": 0, "type": 1, "max": 90, "params": {"setpoint": 3000}}
        )

    console.on_command = apply
    schedule = await make_client().set_schedule(
        BatteryMode.INVERTER_CHARGE, setpoint=3000, max_soc=90
    )
    assert console.commands == ["sched_set 1 --max=90 -s 3000"]
    assert schedule.entries[0].limits.setpoint == 3000


async def test_set_schedule_read_back_mismatch(console: ConsoleDevice, make_client: Any) -> None:
    async def apply(command: str) -> None:
        console.schedule = _manual(
            {"id": 1, "from": _now(), "to": 0, "type": 1, "params": {"setpoint": 2000}}
        )

    console.on_command = apply
    with pytest.raises(HomevoltCommandError, match="setpoint reads back as 2000, not 3000"):
        await make_client().set_schedule(BatteryMode.INVERTER_CHARGE, setpoint=3000)
    assert len(console.commands) == 1


async def test_unsupported_mode_turned_into_idle(console: ConsoleDevice, make_client: Any) -> None:
    async def apply(command: str) -> None:
        console.schedule = _manual({"id": 1, "from": _now(), "to": 0, "type": 0})

    console.on_command = apply
    with pytest.raises(HomevoltModeNotSupportedError) as caught:
        await make_client().set_schedule(BatteryMode.FULL_SOLAR_EXPORT)
    assert caught.value.mode is BatteryMode.FULL_SOLAR_EXPORT


async def test_console_refusal(console: ConsoleDevice, make_client: Any) -> None:
    async def refuse(command: str) -> web.Response:
        return web.Response(text=f"Command '{command}' returned non-zero error code: 0x1\n")

    console.on_command = refuse
    with pytest.raises(HomevoltCommandError, match="refused 'sched_set 0'"):
        await make_client().set_schedule(BatteryMode.IDLE)
    assert len(console.device.posts("/console.json")) == 1


async def test_timed_out_write_confirmed_by_read_back_is_not_resent(
    console: ConsoleDevice, make_client: Any
) -> None:
    async def apply_then_hang(command: str) -> web.Response:
        console.schedule = _manual({"id": 1, "from": _now(), "to": 0, "type": 0})
        await asyncio.sleep(30)
        return web.Response(text="late")

    console.on_command = apply_then_hang
    client = make_client(timeout=aiohttp.ClientTimeout(total=0.3))
    schedule = await client.set_schedule(BatteryMode.IDLE)
    assert schedule.entries[0].mode is BatteryMode.IDLE
    assert console.commands == ["sched_set 0"]


async def test_timed_out_write_not_confirmed_is_unknown(
    console: ConsoleDevice, make_client: Any
) -> None:
    async def hang(command: str) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="late")

    console.on_command = hang
    client = make_client(timeout=aiohttp.ClientTimeout(total=0.3))
    with pytest.raises(HomevoltOutcomeUnknownError, match="not resent"):
        await client.set_schedule(BatteryMode.IDLE)
    assert console.commands == ["sched_set 0"]


async def test_timed_out_write_and_failed_read_back(
    console: ConsoleDevice, device: FakeDevice, make_client: Any
) -> None:
    device.route("POST", "/console.json", never)
    device.route("GET", "/schedule.json", never)
    client = make_client(timeout=aiohttp.ClientTimeout(total=0.2))
    await client.ems()
    with pytest.raises(HomevoltOutcomeUnknownError, match="could not be read"):
        await client.set_schedule(BatteryMode.IDLE)
    assert len(device.posts("/console.json")) == 1


async def test_read_back_fails_after_accepted_write(
    console: ConsoleDevice, device: FakeDevice, make_client: Any
) -> None:
    device.text("/schedule.json", "oops", status=500)
    with pytest.raises(HomevoltCommandError, match="could not be read back"):
        await make_client().set_schedule(BatteryMode.IDLE)


@pytest.mark.parametrize(
    ("mode", "limits", "message"),
    [
        (BatteryMode.INVERTER_CHARGE, {"setpoint": 12001}, "setpoint must be between 0 and 12000"),
        (BatteryMode.INVERTER_CHARGE, {"setpoint": -1}, "setpoint must be between 0 and 12000"),
        (BatteryMode.GRID_CHARGE_DISCHARGE, {"setpoint": -12001}, "between -12000 and 12000"),
        (BatteryMode.INVERTER_CHARGE, {"setpoint": 1500.5}, "whole number"),
        (BatteryMode.INVERTER_CHARGE, {"setpoint": True}, "whole number"),
        (BatteryMode.INVERTER_CHARGE, {"setpoint": "3000; reset"}, "whole number"),
        (BatteryMode.INVERTER_CHARGE, {"max_soc": 101}, "max_soc must be between 0 and 100"),
        (BatteryMode.INVERTER_CHARGE, {"min_soc": 80, "max_soc": 20}, "must not be above"),
        (BatteryMode.IDLE, {"import_limit": -5}, "import_limit"),
        (BatteryMode.IDLE, {"offline": "yes"}, "offline must be true or false"),
        (BatteryMode.IDLE, {"fcr_n_power": 5}, "unknown limits: fcr_n_power"),
        ("reset", {}, "unknown battery mode"),
    ],
)
async def test_invalid_limits_send_nothing(
    console: ConsoleDevice, make_client: Any, mode: Any, limits: dict[str, Any], message: str
) -> None:
    with pytest.raises(HomevoltValidationError, match=message):
        await make_client().set_schedule(mode, **limits)
    assert console.commands == []


async def test_signed_setpoint_for_grid_charge_discharge(
    console: ConsoleDevice, make_client: Any
) -> None:
    async def apply(command: str) -> None:
        console.schedule = _manual(
            {"id": 1, "from": _now(), "to": 0, "type": 5, "params": {"setpoint": -2500}}
        )

    console.on_command = apply
    await make_client().set_schedule(BatteryMode.GRID_CHARGE_DISCHARGE, setpoint=-2500)
    assert console.commands == ["sched_set 5 -s -2500"]


async def test_add_entry_in_device_local_time(console: ConsoleDevice, make_client: Any) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    end = start + timedelta(hours=1)

    async def apply(command: str) -> None:
        # The device reads --from/--to as its local time (UTC+1 here, per its timestamp_str).
        console.schedule = _manual(
            {
                "id": 7,
                "from": int(start.timestamp()),
                "to": int(end.timestamp()),
                "type": 3,
                "params": {"setpoint": 2000},
            }
        )

    console.on_command = apply
    client = make_client()
    await client.ems()
    schedule = await client.add_schedule_entry(BatteryMode.GRID_CHARGE, start, end, setpoint=2000)
    local = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    local_end = (end + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert console.commands == [f"sched_add 3 --from={local} --to={local_end} -s 2000"]
    assert schedule.entry(7) is not None


async def test_add_entry_with_configured_zone(console: ConsoleDevice, make_client: Any) -> None:
    zone = ZoneInfo("America/New_York")
    payload = load_fixture("ems_2025.json")  # no timestamp_str: the offset is unknown
    console.device.json("/ems.json", payload)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    end = start + timedelta(minutes=30)

    async def apply(command: str) -> None:
        console.schedule = _manual(
            {"id": 1, "from": int(start.timestamp()), "to": int(end.timestamp()), "type": 0}
        )

    console.on_command = apply
    await make_client(device_timezone=zone).add_schedule_entry(BatteryMode.IDLE, start, end)
    wall = start.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    assert console.commands[0].startswith(f"sched_add 0 --from={wall} ")


async def test_misplaced_entry_is_removed(console: ConsoleDevice, make_client: Any) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    end = start + timedelta(hours=1)

    async def apply(command: str) -> None:
        if command.startswith("sched_add"):
            # This device read the times as UTC: one hour late.
            shifted = timedelta(hours=1)
            console.schedule = _manual(
                {
                    "id": 4,
                    "from": int((start + shifted).timestamp()),
                    "to": int((end + shifted).timestamp()),
                    "type": 1,
                }
            )
        elif command == "sched_del 4":
            console.schedule = _manual()

    console.on_command = apply
    client = make_client()
    await client.ems()
    with pytest.raises(HomevoltCommandError, match="placed the entry at"):
        await client.add_schedule_entry(BatteryMode.INVERTER_CHARGE, start, end)
    assert console.commands[-1] == "sched_del 4"
    assert console.schedule["schedule"] == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2030, 1, 1, 10), datetime(2030, 1, 1, 11), "time zone"),
        (
            datetime(2030, 1, 1, 11, tzinfo=UTC),
            datetime(2030, 1, 1, 10, tzinfo=UTC),
            "after its start",
        ),
        (datetime(2020, 1, 1, 10, tzinfo=UTC), datetime(2020, 1, 1, 11, tzinfo=UTC), "future"),
    ],
)
async def test_bad_windows_send_nothing(
    console: ConsoleDevice, make_client: Any, start: datetime, end: datetime, message: str
) -> None:
    with pytest.raises(HomevoltValidationError, match=message):
        await make_client().add_schedule_entry(BatteryMode.IDLE, start, end)
    assert console.commands == []


async def test_delete_and_clear(console: ConsoleDevice, make_client: Any) -> None:
    console.schedule = _manual(
        {"id": 1, "from": _now(), "to": 0, "type": 0}, {"id": 2, "from": _now(), "to": 0, "type": 1}
    )

    async def apply(command: str) -> None:
        if command == "sched_del 2":
            console.schedule["schedule"] = console.schedule["schedule"][:1]
        elif command == "sched_clear":
            console.schedule["schedule"] = []

    console.on_command = apply
    client = make_client()
    assert [entry.id for entry in (await client.delete_schedule_entry(2)).entries] == [1]
    assert (await client.clear_schedule()).entries == ()
    console.on_command = None
    console.schedule = _manual({"id": 1, "from": _now(), "to": 0, "type": 0})
    with pytest.raises(HomevoltCommandError, match="entry 1 is still"):
        await client.delete_schedule_entry(1)
    with pytest.raises(HomevoltValidationError):
        await client.delete_schedule_entry(-1)
    assert console.commands == ["sched_del 2", "sched_clear", "sched_del 1"]


async def test_charge_discharge_conveniences(console: ConsoleDevice, make_client: Any) -> None:
    async def apply(command: str) -> None:
        parts = command.split()
        if parts[0] == "sched_set":
            mode = int(parts[1])
            entry: dict[str, Any] = {
                "id": 1,
                "from": _now(),
                "to": 0,
                "type": mode,
                "params": {"setpoint": 2500},
            }
            entry["max" if mode == 1 else "min"] = 80 if mode == 1 else 15
            console.schedule = _manual(entry)
        else:
            window = dict(p.removeprefix("--").split("=") for p in parts if p.startswith("--"))
            start = datetime.fromisoformat(window["from"]) - timedelta(hours=1)
            end = datetime.fromisoformat(window["to"]) - timedelta(hours=1)
            console.schedule = _manual(
                {
                    "id": 3,
                    "from": int(start.replace(tzinfo=UTC).timestamp()),
                    "to": int(end.replace(tzinfo=UTC).timestamp()),
                    "type": 2,
                    "min": 15,
                    "params": {"setpoint": 2500},
                }
            )

    console.on_command = apply
    client = make_client()
    await client.charge(2500, 80)
    await client.discharge(2500, 15)
    await client.discharge(2500, 15, until=datetime.now(UTC) + timedelta(hours=1))
    assert console.commands[:2] == ["sched_set 1 --max=80 -s 2500", "sched_set 2 --min=15 -s 2500"]
    assert console.commands[2].startswith("sched_add 2 --from=")


async def test_concurrent_writes_are_serialized(console: ConsoleDevice, make_client: Any) -> None:
    active = 0
    overlap = False

    async def slow(command: str) -> None:
        nonlocal active, overlap
        active += 1
        overlap = overlap or active > 1
        await asyncio.sleep(0.05)
        mode = int(command.split()[1])
        console.schedule = _manual({"id": 1, "from": _now(), "to": 0, "type": mode})
        active -= 1

    console.on_command = slow
    client = make_client()
    await client.ems()
    await asyncio.gather(
        client.set_schedule(BatteryMode.IDLE), client.set_schedule(BatteryMode.GRID_CHARGE)
    )
    assert not overlap
    assert console.device.max_in_flight == 1
    assert sorted(console.commands) == ["sched_set 0", "sched_set 3"]


async def test_set_parameter(device: FakeDevice, make_client: Any) -> None:
    params = [{"name": "battery_min_soc", "type": "u8", "value": [10], "default": [10]}]

    async def post(request: web.Request) -> web.Response:
        form = await request.post()
        params[0]["value"] = [int(str(form["v"]))]
        return web.Response(text=f"Saved parameter k: '{form['k']}' v: '{form['v']}'")

    async def get(_: web.Request) -> web.Response:
        return web.json_response(params)

    device.route("POST", "/params.json", post)
    device.route("GET", "/params.json", get)
    client = make_client()
    result = await client.set_minimum_soc(25)
    assert result["battery_min_soc"].scalar == 25
    assert device.posts("/params.json")[0].form == {"k": "battery_min_soc", "v": "25", "store": "1"}
    with pytest.raises(HomevoltValidationError):
        await client.set_minimum_soc(101)
    with pytest.raises(HomevoltValidationError):
        await client.set_parameter("x; reset", 1)
    with pytest.raises(HomevoltValidationError):
        await client.set_parameter("name", "two\nlines")
    with pytest.raises(HomevoltCommandError, match="has no parameter"):
        await client.set_parameter("ledstrip_mode", "soc", persist=False)
    assert device.posts("/params.json")[1].form["store"] == "0"
    assert len(device.posts("/params.json")) == 2


async def test_set_local_mode_reads_back_schedule(device: FakeDevice, make_client: Any) -> None:
    schedule = _manual(local_mode=False)

    async def post(request: web.Request) -> web.Response:
        form = await request.post()
        schedule["local_mode"] = form["v"] == "true"
        return web.Response(text="Saved")

    async def get(_: web.Request) -> web.Response:
        return web.json_response(schedule)

    device.route("POST", "/params.json", post)
    device.route("GET", "/schedule.json", get)
    client = make_client()
    assert (await client.set_local_mode(True)).local_mode is True
    assert device.posts("/params.json")[0].form == {
        "k": "settings_local",
        "v": "true",
        "store": "1",
    }
    device.text("/params.json", "ignored", method="POST")
    with pytest.raises(HomevoltCommandError, match="local mode is still on"):
        await client.set_local_mode(False)
    with pytest.raises(HomevoltValidationError):
        await client.set_local_mode("no")  # type: ignore[arg-type]


async def test_rated_power_missing(device: FakeDevice, make_client: Any) -> None:
    payload = load_fixture("ems_2025.json")
    payload["ems"][0]["ems_info"].pop("rated_power")
    device.json("/ems.json", payload)
    with pytest.raises(HomevoltValidationError, match="rated power"):
        await make_client().set_schedule(BatteryMode.IDLE)
