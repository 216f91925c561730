"""Try the integration without a battery: a virtual Homevolt and a real Home Assistant.

`scripts/demo` starts both, onboards Home Assistant with a demo user and adds the Homevolt
through the config flow, then waits for Ctrl-C. `scripts/demo --check` does the same without
waiting and verifies, as a client would, that the entities exist with plausible values and that
an action changes what the simulated battery does; it exits 0 or 1.
"""

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
CONFIG = WORK / "config"
HA_URL = "http://127.0.0.1:8123"
SIM_PORT = 8099
SIM_URL = f"http://127.0.0.1:{SIM_PORT}"
SIM_PASSWORD = "homevolt"
USER, PASSWORD = "demo", "demo-homevolt"
CLIENT_ID = f"{HA_URL}/"

CONFIGURATION = """\
# Written by scripts/demo. A lean set instead of default_config (whose assist_pipeline needs
# native packages that do not build here).
homeassistant:
  name: Homevolt demo
  latitude: 59.33
  longitude: 18.07
  elevation: 20
  unit_system: metric
  currency: SEK
  country: SE
  time_zone: Europe/Stockholm
  external_url: http://127.0.0.1:8123
  internal_url: http://127.0.0.1:8123
http:
  server_host: 127.0.0.1
  server_port: 8123
frontend:
config:
energy:
history:
logbook:
logger:
  default: warning
  logs:
    custom_components.homevolt_local_api: info
"""


def log(message: str) -> None:
    print(f"demo: {message}", flush=True)


class DemoError(Exception):
    """The demo could not start or a check failed."""


def prepare_config() -> None:
    """A fresh configuration folder with our integration linked in."""
    if CONFIG.exists():
        shutil.rmtree(CONFIG)
    (CONFIG / "custom_components").mkdir(parents=True)
    (CONFIG / "configuration.yaml").write_text(CONFIGURATION)
    os.symlink(
        ROOT / "custom_components" / "homevolt_local_api",
        CONFIG / "custom_components" / "homevolt_local_api",
    )


def start_processes() -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    WORK.mkdir(exist_ok=True)
    sim_log = (WORK / "simulator.log").open("wb")
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(SIM_PORT),
            "--password",
            SIM_PASSWORD,
            "--seed",
            "3",
        ],
        cwd=ROOT,
        stdout=sim_log,
        stderr=subprocess.STDOUT,
    )
    ha_log = (WORK / "home-assistant.log").open("wb")
    hass = subprocess.Popen(
        [sys.executable, "-m", "homeassistant", "--config", str(CONFIG), "--skip-pip"],
        cwd=ROOT,
        stdout=ha_log,
        stderr=subprocess.STDOUT,
    )
    return simulator, hass


async def wait_for(session: aiohttp.ClientSession, url: str, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as response:
                if response.status < 500:
                    return
        await asyncio.sleep(0.5)
    raise DemoError(f"{what} did not start within {seconds:.0f} s (see {WORK}/*.log)")


async def onboard(session: aiohttp.ClientSession) -> str:
    """Create the demo user and finish onboarding; an access token for it."""
    async with session.post(
        f"{HA_URL}/api/onboarding/users",
        json={
            "client_id": CLIENT_ID,
            "name": "Demo",
            "username": USER,
            "password": PASSWORD,
            "language": "en",
        },
    ) as response:
        if response.status != 200:
            raise DemoError(f"onboarding failed: {response.status} {await response.text()}")
        code = (await response.json())["auth_code"]
    async with session.post(
        f"{HA_URL}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
    ) as response:
        tokens = await response.json()
    token: str = tokens["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": CLIENT_ID, "redirect_uri": f"{HA_URL}/?auth_callback=1"}),
    ):
        async with session.post(
            f"{HA_URL}/api/onboarding/{step}", json=body, headers=headers
        ) as response:
            if response.status not in (200, 403):
                raise DemoError(f"onboarding step {step}: {response.status}")
    (WORK / "tokens.json").write_text(json.dumps(tokens))
    return token


async def confirm_http_settings(session: aiohttp.ClientSession, token: str) -> None:
    """Keep the loopback-only HTTP settings (2026.10 stages YAML http settings for confirmation)."""
    client = Client(session, token)
    try:
        with contextlib.suppress(DemoError):
            await client.ws({"type": "http/config/promote"})
    finally:
        await client.close()


async def add_homevolt(session: aiohttp.ClientSession, token: str) -> None:
    """Add the virtual Homevolt through the integration's config flow, as a user would."""
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(
        f"{HA_URL}/api/config/config_entries/flow",
        json={"handler": "homevolt_local_api", "show_advanced_options": False},
        headers=headers,
    ) as response:
        flow = await response.json()
    if flow.get("step_id") != "user":
        raise DemoError(f"unexpected config flow start: {flow}")
    async with session.post(
        f"{HA_URL}/api/config/config_entries/flow/{flow['flow_id']}",
        json={"host": SIM_URL, "password": SIM_PASSWORD},
        headers=headers,
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        raise DemoError(f"the config flow did not create an entry: {result}")


class Client:
    """Home Assistant's REST and WebSocket APIs, as any client uses them."""

    def __init__(self, session: aiohttp.ClientSession, token: str) -> None:
        self.session = session
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def states(self) -> dict[str, dict[str, Any]]:
        async with self.session.get(f"{HA_URL}/api/states", headers=self.headers) as response:
            return {state["entity_id"]: state for state in await response.json()}

    async def ws(self, message: dict[str, Any]) -> Any:
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{HA_URL}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise DemoError("websocket authentication failed")
        self._id += 1
        await self._ws.send_json({"id": self._id, **message})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == self._id and reply.get("type") == "result":
                if not reply["success"]:
                    raise DemoError(f"{message['type']} failed: {reply.get('error')}")
                return reply.get("result")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


async def simulator_state(session: aiohttp.ClientSession) -> dict[str, Any]:
    async with session.get(f"{SIM_URL}/_sim/state") as response:
        result: dict[str, Any] = await response.json()
        return result


async def check(session: aiohttp.ClientSession, token: str) -> list[str]:
    """Verify the demo end to end; the failures found."""
    failures: list[str] = []
    client = Client(session, token)

    def expect(condition: bool, message: str) -> None:
        print(f"  {'ok  ' if condition else 'FAIL'} {message}", flush=True)
        if not condition:
            failures.append(message)

    try:
        states = await client.states()
        ours = {k: v for k, v in states.items() if "homevolt" in k}
        expect(len(ours) >= 40, f"{len(ours)} Homevolt entities exist")

        def number(entity_id: str) -> float | None:
            try:
                return float(states[entity_id]["state"])
            except KeyError, ValueError:
                return None

        soc = number("sensor.homevolt_state_of_charge")
        expect(soc is not None and 0 <= soc <= 100, f"state of charge is a percentage ({soc})")
        house = number("sensor.homevolt_house_power")
        expect(house is not None and house >= 0, f"house power is a positive W value ({house})")
        grid, solar = number("sensor.homevolt_grid_power"), number("sensor.homevolt_solar_power")
        battery = number("sensor.homevolt_battery_power")
        balanced = (
            None not in (house, grid, solar, battery)
            and abs(
                house - (grid + solar + battery)  # type: ignore[operator]
            )
            < 50
        )
        expect(balanced, f"house = grid + solar + battery ({house} ≈ {grid} + {solar} + {battery})")
        energy = states.get("sensor.homevolt_grid_energy_imported", {}).get("attributes", {})
        expect(
            energy.get("state_class") == "total_increasing"
            and energy.get("unit_of_measurement") == "kWh",
            "grid energy is a kWh total_increasing sensor (Energy dashboard)",
        )

        devices = await client.ws({"type": "config/device_registry/list"})
        homevolt = next((d for d in devices if d["name"] == "Homevolt"), None)
        expect(homevolt is not None, "the Homevolt device is registered")
        if homevolt is None:
            return failures
        await client.ws(
            {
                "type": "call_service",
                "domain": "switch",
                "service": "turn_on",
                "target": {"entity_id": "switch.homevolt_local_mode"},
            }
        )
        await client.ws(
            {
                "type": "call_service",
                "domain": "homevolt_local_api",
                "service": "charge",
                "service_data": {"device_id": homevolt["id"], "power": 2500, "target_soc": 100},
            }
        )
        await asyncio.sleep(2)
        sim = await simulator_state(session)
        expect(
            sim["battery_power"] == -2500,
            f"the simulated battery charges at 2500 W ({sim['battery_power']})",
        )
        await client.ws(
            {
                "type": "call_service",
                "domain": "homeassistant",
                "service": "update_entity",
                "target": {"entity_id": "sensor.homevolt_battery_power"},
            }
        )
        states = await client.states()
        expect(
            number("sensor.homevolt_battery_power") == -2500,
            f"Home Assistant shows battery power -2500 W ({states['sensor.homevolt_battery_power']['state']})",
        )
        expect(
            states["select.homevolt_battery_mode"]["state"] == "inverter_charge",
            "the battery mode select shows inverter charge",
        )
        await client.ws(
            {
                "type": "call_service",
                "domain": "homevolt_local_api",
                "service": "idle",
                "service_data": {"device_id": homevolt["id"]},
            }
        )
        await asyncio.sleep(1.5)
        sim = await simulator_state(session)
        expect(sim["battery_power"] == 0 and sim["active_type"] == 0, "idle stops the battery")
    finally:
        await client.close()
    return failures


async def run(check_only: bool) -> int:
    prepare_config()
    simulator, hass = start_processes()
    code = 0
    try:
        async with aiohttp.ClientSession() as session:
            await wait_for(session, f"{SIM_URL}/_sim/state", 30, "The simulator")
            log(f"virtual Homevolt at {SIM_URL} (admin / {SIM_PASSWORD})")
            await wait_for(session, f"{HA_URL}/api/onboarding", 180, "Home Assistant")
            token = await onboard(session)
            await confirm_http_settings(session, token)
            await add_homevolt(session, token)
            log(f"Home Assistant at {HA_URL} — log in as {USER} / {PASSWORD}")
            if check_only:
                await asyncio.sleep(3)
                failures = await check(session, token)
                log("check passed" if not failures else f"check FAILED: {len(failures)} problem(s)")
                code = 1 if failures else 0
            else:
                log("Ctrl-C stops both.")
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signum, stop.set)
                await stop.wait()
    except DemoError as err:
        log(str(err))
        code = 1
    finally:
        for process in (hass, simulator):
            process.terminate()
        for process in (hass, simulator):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return code


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify end to end, then stop")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.check)))


if __name__ == "__main__":
    main()
