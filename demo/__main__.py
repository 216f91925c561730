"""Try the integration without a battery: a virtual Homevolt and a real Home Assistant.

`scripts/demo` starts both on free loopback ports (8123 and 8099 unless taken), onboards Home
Assistant with a demo user, adds the Homevolt through the config flow and sets up the Energy
dashboard, then waits for Ctrl-C. `scripts/demo --check` does the same without waiting and
verifies, as a client would, that the entities exist with plausible values, that an action
changes what the simulated battery does, and that nothing else is red; it exits 0 or 1.
"""

import argparse
import asyncio
import base64
import contextlib
from dataclasses import dataclass
from datetime import datetime
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp

from demo import energy, ports
from demo.ports import HOST, Claim, PortError

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".demo"
HA_PORT, SIM_PORT = 8123, 8099
SIM_PASSWORD = "homevolt"
USER, PASSWORD = "demo", "demo-homevolt"
OURS = "homevolt_local_api"

# No `http:` block: Home Assistant 2026.10 keeps its HTTP settings in storage (written by
# write_storage below) and raises a repair for YAML ones.
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
  external_url: {url}
  internal_url: {url}
frontend:
config:
energy:
history:
logbook:
template: !include price_sensor.yaml
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.homevolt_local_api: info
"""


# A spot price whose cheapest hour is the one that started a minute ago, for the cheapest-hours
# blueprint (issue 13): items with explicit times, as a plain list attribute. Re-rendered every
# minute, so the cheap slot always "just started"; the demo's automation is off for that reason.
PRICE_SENSOR = """\
# Written by scripts/demo: a made-up price for the cheapest-hours blueprint.
- sensor:
    - name: Spot price
      unique_id: homevolt_demo_spot_price
      unit_of_measurement: SEK/kWh
      state: "{{ 0.01 }}"
      attributes:
        prices: >-
          {%- set t0 = now().replace(microsecond=0) - timedelta(minutes=1) -%}
          {%- set ns = namespace(items=[]) -%}
          {%- for i in range(6) -%}
            {%- set s = t0 + timedelta(hours=i) -%}
            {%- set e = s + timedelta(hours=1) -%}
            {%- set ns.items = ns.items + [{'start': s.isoformat(), 'end': e.isoformat(),
                                           'value': 0.01 if i == 0 else 1.0 + i / 10}] -%}
          {%- endfor -%}
          {{ ns.items }}
"""
BLUEPRINT = Path("blueprints") / "automation" / OURS / "cheapest_hours.yaml"
CHEAPEST_HOURS_ID = "homevolt_demo_cheapest_hours"


@dataclass(frozen=True)
class Site:
    """Where this demo's servers listen and keep their files."""

    ha_port: int
    sim_port: int

    @property
    def ha_url(self) -> str:
        return f"http://{HOST}:{self.ha_port}"

    @property
    def sim_url(self) -> str:
        return f"http://{HOST}:{self.sim_port}"

    @property
    def work(self) -> Path:
        """One folder per Home Assistant port, so that two demos never share files."""
        return DEMO_DIR / str(self.ha_port)

    @property
    def config(self) -> Path:
        return self.work / "config"

    @property
    def client_id(self) -> str:
        return f"{self.ha_url}/"


def log(message: str) -> None:
    print(f"demo: {message}", flush=True)


class DemoError(Exception):
    """The demo could not start or a check failed."""


def write_storage(site: Site) -> None:
    """What onboarding and the network settings page would store, written before the start."""
    storage = site.config / ".storage"
    storage.mkdir()

    def store(key: str, version: int, minor: int, data: dict[str, Any]) -> None:
        document = {"version": version, "minor_version": minor, "key": key, "data": data}
        (storage / key).write_text(json.dumps(document, indent=2))

    # HTTP as Settings > System > Network stores it: loopback only, on the claimed port.
    http = {
        "server_host": [HOST],
        "server_port": site.ha_port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    store("http", 2, 2, {"stable": http, "pending": None, "yaml_migration_done": True})
    # Onboarding's location step would set up met.no, Radio Browser, Google Translate and a
    # shopping list, which need the internet and fail here; location and units come from
    # configuration.yaml, so only the user step is left for the demo to do.
    store("onboarding", 4, 1, {"done": ["core_config", "analytics", "integration"]})


def prepare_config(site: Site) -> None:
    """A fresh configuration folder with our integration linked in."""
    if site.config.exists():
        shutil.rmtree(site.config)
    (site.config / "custom_components").mkdir(parents=True)
    (site.config / "configuration.yaml").write_text(CONFIGURATION.format(url=site.ha_url))
    (site.config / "price_sensor.yaml").write_text(PRICE_SENSOR)
    (site.config / "automations.yaml").write_text("[]\n")
    # As an owner imports it: a copy under the configuration's blueprints folder.
    (site.config / BLUEPRINT).parent.mkdir(parents=True)
    shutil.copyfile(ROOT / BLUEPRINT, site.config / BLUEPRINT)
    write_storage(site)
    os.symlink(
        ROOT / "custom_components" / OURS,
        site.config / "custom_components" / OURS,
    )


def start_simulator(site: Site, start: datetime | None = None) -> subprocess.Popen[bytes]:
    site.work.mkdir(parents=True, exist_ok=True)
    since = ["--start", start.isoformat()] if start else []
    sim_log = (site.work / "simulator.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--host",
            HOST,
            "--port",
            str(site.sim_port),
            "--password",
            SIM_PASSWORD,
            "--seed",
            "3",
            *since,
        ],
        cwd=ROOT,
        stdout=sim_log,
        stderr=subprocess.STDOUT,
    )


def start_home_assistant(site: Site) -> subprocess.Popen[bytes]:
    ha_log = (site.work / "home-assistant.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "homeassistant", "--config", str(site.config), "--skip-pip"],
        cwd=ROOT,
        stdout=ha_log,
        stderr=subprocess.STDOUT,
    )


async def wait_for_own(
    session: aiohttp.ClientSession,
    *,
    process: subprocess.Popen[bytes],
    port: int,
    path: str,
    seconds: float,
    what: str,
    logs: Path,
) -> None:
    """Wait until `process` itself listens on `port` and answers; never ask anyone else.

    Which process owns the listening socket comes from the kernel, so a foreign server that
    took the port in the meantime is named, not talked to.
    """
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise DemoError(
                f"{what} stopped (exit code {process.returncode}) before it listened on "
                f"{HOST}:{port}; see {logs}"
            )
        state = ports.owner(port, process.pid)
        if state == "ours":
            break
        if state == "other":
            raise DemoError(
                f"{HOST}:{port} was taken by another program while {what} was starting; "
                "nothing was sent to it. Run the demo again (it picks a free port)."
            )
        if time.monotonic() > deadline:
            raise DemoError(
                f"{what} did not listen on {HOST}:{port} within {seconds:.0f} s; see {logs}"
            )
        await asyncio.sleep(0.5)
    url = f"http://{HOST}:{port}{path}"
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as response:
                if response.status < 500:
                    return
        await asyncio.sleep(0.5)
    raise DemoError(f"{what} did not answer on {url} within {seconds:.0f} s; see {logs}")


async def onboard(session: aiohttp.ClientSession, site: Site) -> str:
    """Create the demo user (the one onboarding step left); an access token for it."""
    async with session.post(
        f"{site.ha_url}/api/onboarding/users",
        json={
            "client_id": site.client_id,
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
        f"{site.ha_url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": site.client_id},
    ) as response:
        tokens = await response.json()
    token: str = tokens["access_token"]
    (site.work / "tokens.json").write_text(json.dumps(tokens))
    return token


async def wait_until_running(session: aiohttp.ClientSession, site: Site, token: str) -> str:
    """Wait for the end of Home Assistant's start; its version."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 120
    while True:
        async with session.get(f"{site.ha_url}/api/config", headers=headers) as response:
            config = await response.json()
        if config.get("state") == "RUNNING":
            return str(config.get("version"))
        if time.monotonic() > deadline:
            raise DemoError(f"Home Assistant did not finish starting: {config.get('state')}")
        await asyncio.sleep(0.5)


async def ignore_installation_method_issue(client: Client) -> None:
    """Ignore core's "Unsupported installation method" repair, if it is raised.

    It describes how the demo runs Home Assistant (a plain Python environment, the "Core"
    method), not the integration or an owner's set-up, and nothing in the demo can change it
    honestly. Core raises it shortly after the start, so look for it for a few seconds.
    """
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        issues = (await client.ws({"type": "repairs/list_issues"}))["issues"]
        found = [
            issue
            for issue in issues
            if issue["domain"] == "homeassistant"
            and issue["issue_id"].startswith("deprecated_method")
        ]
        for issue in found:
            await client.ws(
                {
                    "type": "repairs/ignore_issue",
                    "domain": issue["domain"],
                    "issue_id": issue["issue_id"],
                    "ignore": True,
                }
            )
        if found:
            return
        await asyncio.sleep(0.5)


async def add_homevolt(session: aiohttp.ClientSession, site: Site, token: str) -> None:
    """Add the virtual Homevolt through the integration's config flow, as a user would."""
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(
        f"{site.ha_url}/api/config/config_entries/flow",
        json={"handler": OURS, "show_advanced_options": False},
        headers=headers,
    ) as response:
        flow = await response.json()
    if flow.get("step_id") != "user":
        raise DemoError(f"unexpected config flow start: {flow}")
    async with session.post(
        f"{site.ha_url}/api/config/config_entries/flow/{flow['flow_id']}",
        json={"host": site.sim_url, "password": SIM_PASSWORD},
        headers=headers,
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        raise DemoError(f"the config flow did not create an entry: {result}")


async def add_cheapest_hours(client: Client) -> None:
    """The cheapest-hours blueprint, instantiated as the automation editor saves it; off.

    Off because the demo's price sensor makes every quarter hour the start of a cheap slot;
    an owner turns it on to watch it charge, `scripts/demo --check` triggers it once.
    """
    devices = await client.ws({"type": "config/device_registry/list"})
    unit = next((d for d in devices if d["name"] == "Homevolt"), None)
    if unit is None:
        raise DemoError("the Homevolt device is missing; cannot set up the blueprint")
    config = {
        "alias": "Homevolt demo: charge in the cheapest hours",
        "description": "The cheapest-hours blueprint with the demo's made-up Spot price.",
        "initial_state": False,
        "use_blueprint": {
            "path": f"{OURS}/cheapest_hours.yaml",
            "input": {
                "battery": unit["id"],
                "price_entity": "sensor.spot_price",
                "list_attribute": "prices",
                "hours": 1,
                "charge_power": 2500,
                "target_soc": 80,
            },
        },
    }
    async with client.session.post(
        f"{client.ha_url}/api/config/automation/config/{CHEAPEST_HOURS_ID}",
        json=config,
        headers=client.headers,
    ) as response:
        if response.status != 200:
            raise DemoError(f"saving the blueprint's automation failed: {await response.text()}")


class Client:
    """Home Assistant's REST and WebSocket APIs, as any client uses them."""

    def __init__(self, session: aiohttp.ClientSession, ha_url: str, token: str) -> None:
        self.session = session
        self.ha_url = ha_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def states(self) -> dict[str, dict[str, Any]]:
        async with self.session.get(f"{self.ha_url}/api/states", headers=self.headers) as response:
            return {state["entity_id"]: state for state in await response.json()}

    async def ws(self, message: dict[str, Any]) -> Any:
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.ha_url}/api/websocket")
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


async def simulator_state(session: aiohttp.ClientSession, site: Site) -> dict[str, Any]:
    async with session.get(f"{site.sim_url}/_sim/state") as response:
        result: dict[str, Any] = await response.json()
        return result


async def simulator_schedule(session: aiohttp.ClientSession, site: Site) -> list[dict[str, Any]]:
    """schedule.json's entries, read as the device serves them (with its password)."""
    login = base64.b64encode(f"admin:{SIM_PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {login}"}
    async with session.get(f"{site.sim_url}/schedule.json", headers=headers) as response:
        response.raise_for_status()
        entries: list[dict[str, Any]] = (await response.json()).get("schedule", [])
        return entries


def logged_problems(path: Path) -> list[str]:
    """Log records at warning or above that concern this integration (tracebacks included).

    Home Assistant's own notice that a custom integration is loaded does not count.
    """
    records: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        if re.match(r"\d{4}-\d\d-\d\d ", line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return [
        record
        for record in records
        if re.match(r"\S+ \S+ (WARNING|ERROR|CRITICAL) ", record)
        and OURS in record
        and "which has not been tested by Home Assistant" not in record
    ]


async def check_energy(client: Client, history: energy.History, expect: Any) -> None:
    """The Energy dashboard: its settings are valid and the imported hours add up."""
    prefs = await client.ws({"type": "energy/get_prefs"})
    kinds = [source["type"] for source in prefs["energy_sources"]]
    expect(kinds == ["grid", "solar", "battery"], f"the Energy dashboard has {', '.join(kinds)}")
    validation = await client.ws({"type": "energy/validate"})
    problems = [issue for issues in validation["energy_sources"] for issue in issues]
    expect(not problems, f"the Energy dashboard's settings validate ({problems or 'no issues'})")
    stats = await client.ws(
        {
            "type": "recorder/statistics_during_period",
            "start_time": history.hours[0].isoformat(),
            "statistic_ids": list(history.counters),
            "period": "hour",
            "types": ["change"],
        }
    )
    for entity, counters in history.counters.items():
        changes = [row["change"] for row in stats.get(entity, [])]
        total = counters[-1] - counters[0]
        expect(
            len(changes) >= len(history.hours) - 1
            and min(changes, default=0) >= 0
            and abs(sum(changes[: len(history.hours) - 1]) - total) < 0.01,
            f"{entity}: {len(changes)} hours of history, {sum(changes):.2f} kWh "
            f"({total:.2f} kWh counted on the virtual Homevolt)",
        )


async def check_cheapest_hours(
    client: Client, session: aiohttp.ClientSession, site: Site, expect: Any
) -> None:
    """The cheapest-hours blueprint charges the battery when its cheapest hour is now (issue 13).

    Runs after `idle`, so a charge entry with the blueprint's power and target can only come
    from the automation.
    """
    states = await client.states()
    automation = states.get("automation.homevolt_demo_charge_in_the_cheapest_hours", {})
    expect(
        automation.get("state") == "off",
        f"the blueprint's automation is loaded and off ({automation.get('state')})",
    )
    prices = states.get("sensor.spot_price", {}).get("attributes", {}).get("prices")
    expect(
        isinstance(prices, list) and len(prices) == 6,
        f"the template price sensor lists its slots ({len(prices or [])})",
    )
    await client.ws(
        {
            "type": "call_service",
            "domain": "automation",
            "service": "trigger",
            "target": {"entity_id": "automation.homevolt_demo_charge_in_the_cheapest_hours"},
            "service_data": {"skip_condition": False},
        }
    )
    sim: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sim = await simulator_state(session, site)
        entries = await simulator_schedule(session, site)
        if sim["active_type"] == 1:
            break
        await asyncio.sleep(0.5)
    charges = [
        e
        for e in entries
        if e["type"] == 1 and e["params"].get("setpoint") == 2500 and e.get("max") == 80
    ]
    expect(
        sim.get("active_type") == 1 and len(charges) == 1,
        f"the blueprint charges the battery: active type {sim.get('active_type')}, "
        f"{len(charges)} entry at 2500 W up to 80 %",
    )


async def check(
    session: aiohttp.ClientSession, site: Site, token: str, history: energy.History
) -> list[str]:
    """Verify the demo end to end; the failures found."""
    failures: list[str] = []
    client = Client(session, site.ha_url, token)

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
        sim = await simulator_state(session, site)
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
        sim = await simulator_state(session, site)
        expect(sim["battery_power"] == 0 and sim["active_type"] == 0, "idle stops the battery")

        await check_cheapest_hours(client, session, site, expect)

        # Nothing red that the demo itself causes (Settings shows these first).
        entries = await client.ws({"type": "config_entries/get"})
        broken = [f"{e['domain']} ({e['state']})" for e in entries if e["state"] != "loaded"]
        expect(not broken, f"every config entry is loaded ({', '.join(broken) or 'none failed'})")
        issues = (await client.ws({"type": "repairs/list_issues"}))["issues"]
        foreign = [
            f"{i['domain']}.{i['issue_id']}"
            for i in issues
            if i["domain"] != OURS and not i["ignored"]
        ]
        expect(
            not foreign, f"no repair issue but this integration's ({', '.join(foreign) or 'none'})"
        )
        await check_energy(client, history, expect)
        ours_logged = logged_problems(site.work / "home-assistant.log")
        expect(
            not ours_logged,
            f"nothing of this integration logged at warning or above ({len(ours_logged)})",
        )
        for record in ours_logged[:5]:
            print(f"       {record[:300]}", flush=True)
    finally:
        await client.close()
    return failures


def claim_ports(args: argparse.Namespace) -> tuple[Claim, Claim]:
    """The ports to use: the ones asked for, or the defaults, or the next free ones."""
    ha, note = ports.claim(
        args.port or HA_PORT, what="Home Assistant", option="--port", explicit=bool(args.port)
    )
    if note:
        log(note)
    try:
        sim, note = ports.claim(
            args.sim_port or SIM_PORT,
            what="the virtual Homevolt",
            option="--sim-port",
            explicit=bool(args.sim_port),
        )
    except PortError:
        ha.release()
        raise
    if note:
        log(note)
    return ha, sim


async def run(args: argparse.Namespace) -> int:
    try:
        ha_claim, sim_claim = claim_ports(args)
    except PortError as err:
        log(str(err))
        return 1
    site = Site(ha_claim.port, sim_claim.port)
    prepare_config(site)
    processes: list[subprocess.Popen[bytes]] = []
    code = 0
    try:
        async with aiohttp.ClientSession() as session:
            processes.append(simulator := start_simulator(site, energy.history_start()))
            await wait_for_own(
                session,
                process=simulator,
                port=site.sim_port,
                path="/_sim/state",
                seconds=30,
                what="the virtual Homevolt",
                logs=site.work / "simulator.log",
            )
            history = await energy.run_to_now(session, site.sim_url, SIM_PASSWORD)
            log(
                f"virtual Homevolt at {site.sim_url} (admin / {SIM_PASSWORD}), "
                f"run from {history.hours[0]:%Y-%m-%d %H:%M} UTC to now for the Energy dashboard"
            )
            processes.append(hass := start_home_assistant(site))
            await wait_for_own(
                session,
                process=hass,
                port=site.ha_port,
                path="/api/onboarding",
                seconds=180,
                what="Home Assistant",
                logs=site.work / "home-assistant.log",
            )
            token = await onboard(session, site)
            version = await wait_until_running(session, site, token)
            client = Client(session, site.ha_url, token)
            try:
                await ignore_installation_method_issue(client)
                for message in energy.statistics(history):
                    await client.ws(message)
                await add_homevolt(session, site, token)
                await client.ws(energy.PREFERENCES)
                await add_cheapest_hours(client)
            finally:
                await client.close()
            log(f"Home Assistant {version} at {site.ha_url} — log in as {USER} / {PASSWORD}")
            log(f"its configuration and logs: {site.work.relative_to(ROOT)}/")
            if args.check:
                await asyncio.sleep(3)
                failures = await check(session, site, token, history)
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
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        ha_claim.release()
        sim_claim.release()
    return code


def port(value: str) -> int:
    number = int(value)
    if not 1024 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port from 1024 to 65535")
    return number


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify end to end, then stop")
    parser.add_argument(
        "--port",
        type=port,
        help=f"Home Assistant's port (default {HA_PORT}, or the next free one if it is taken)",
    )
    parser.add_argument(
        "--sim-port",
        type=port,
        help=f"the virtual Homevolt's port (default {SIM_PORT}, or the next free one)",
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
