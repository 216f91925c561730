"""The HTTP side of the virtual Homevolt.

The device's endpoints, its login back-off, reboots, injected faults, and a separate `/_sim/…`
control path that no real device has.
"""

import asyncio
import base64
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
import json
import random
import time
from typing import Any

from aiohttp import web

from . import payloads
from .console import Console
from .model import BatterySystem
from .tls import self_signed_context

USERNAME = "admin"
MAX_LOCKOUT = 300.0


@dataclass
class Faults:
    """Per-request probabilities of each fault (0 to 1)."""

    timeout: float = 0.0
    error: float = 0.0
    truncate: float = 0.0
    slow: float = 0.0
    reboot: float = 0.0
    slow_seconds: float = 3.0
    hang_seconds: float = 60.0

    @classmethod
    def parse(cls, text: str) -> Faults:
        """From `timeout=0.05,error=0.02,…`."""
        faults = cls()
        names = {item.name for item in fields(cls)}
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            key, _, value = part.partition("=")
            if key not in names:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(sorted(names))}")
            setattr(faults, key, float(value))
        return faults


@dataclass
class SimulatorOptions:
    """Everything `python -m simulator` can be told."""

    units: int = 1
    firmware: str = "2026"
    password: str | None = "homevolt"
    host: str = "127.0.0.1"
    port: int = 0
    https: bool = False
    speed: float = 1.0
    seed: int = 1
    timezone: str = "Europe/Stockholm"
    start: datetime | None = None
    reboot_seconds: float = 5.0
    backoff_base: float = 1.0
    min_soc_param: bool = True
    ota_manifest: bool = True
    faults: Faults = field(default_factory=Faults)


class Simulator:
    """A virtual Homevolt on one port. `await start()`, then `url`; `await stop()`."""

    def __init__(self, options: SimulatorOptions | None = None) -> None:
        self.options = options or SimulatorOptions()
        if self.options.firmware not in ("2025", "2026"):
            raise ValueError("firmware must be 2025 or 2026")
        if self.options.units < 1:
            raise ValueError("units must be at least 1")
        self.system = BatterySystem(
            units=self.options.units,
            seed=self.options.seed,
            start=self.options.start,
            timezone=self.options.timezone,
            firmware=self.options.firmware,
            min_soc_param=self.options.min_soc_param,
        )
        self.console = Console(self.system)
        self.faults = self.options.faults
        self.speed = self.options.speed
        self._rng = random.Random(self.options.seed)
        self._anchor_real = time.monotonic()
        self._anchor_sim = self.system.now
        self._down_until = 0.0
        self._failures = 0
        self._locked_until = 0.0
        self.requests: Counter[str] = Counter()
        # Body bytes sent per request kind, for measuring a client's load on the device.
        self.sent_bytes: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._pending: set[asyncio.Handle] = set()
        self.url = ""

    # ------------------------------------------------------------------------------------
    # life cycle

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handler_cancellation=True)
        await self._runner.setup()
        ssl_context = self_signed_context(self.options.host) if self.options.https else None
        site = web.TCPSite(
            self._runner, self.options.host, self.options.port, ssl_context=ssl_context
        )
        await site.start()
        port = self._runner.addresses[0][1]
        scheme = "https" if self.options.https else "http"
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        self.url = f"{scheme}://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------------------------
    # clock

    def sim_now(self) -> float:
        return self._anchor_sim + (time.monotonic() - self._anchor_real) * self.speed

    def _sync(self) -> None:
        self.system.advance_to(self.sim_now())

    def set_speed(self, speed: float) -> None:
        self._sync()
        self._anchor_sim = self.sim_now()
        self._anchor_real = time.monotonic()
        self.speed = speed

    def advance(self, seconds: float) -> None:
        """Jump the simulated clock forward, running the model through the gap."""
        self._anchor_sim += seconds
        self._sync()

    def reboot(self) -> None:
        """Reboot now: the API answers 503 for a while, unstored state reverts."""
        self._sync()
        self.system.reboot()
        self._down_until = time.monotonic() + self.options.reboot_seconds

    @property
    def rebooting(self) -> bool:
        return time.monotonic() < self._down_until

    # ------------------------------------------------------------------------------------
    # requests

    def _authorized(self, request: web.Request) -> bool:
        password = self.options.password
        if not password:
            return True
        now = time.monotonic()
        if now < self._locked_until:
            return False  # while backing off, the device refuses even the right password
        expected = f"{USERNAME}:{password}"
        header = request.headers.get("Authorization", "")
        if not header:
            return False  # a challenge, not a failed login: no back-off
        try:
            given = base64.b64decode(header.removeprefix("Basic ").encode(), validate=True).decode()
        except ValueError:
            given = ""
        if header.startswith("Basic ") and given == expected:
            self._failures = 0
            return True
        self._failures += 1
        lockout = min(MAX_LOCKOUT, self.options.backoff_base * 2 ** (self._failures - 1))
        self._locked_until = now + lockout
        return False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await self._control(request)
        kind = f"{request.method} {request.path}"
        self.requests[kind] += 1
        response = await self._respond(request)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            self.sent_bytes[kind] += len(response.body)
        return response

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        if self.rebooting:
            return web.Response(status=503, text="Service Unavailable")
        if not self._authorized(request):
            return web.Response(
                status=401,
                text="Unauthorized",
                headers={"WWW-Authenticate": 'Basic realm="homevolt"'},
            )
        truncate = await self._inject_faults()
        if isinstance(truncate, web.StreamResponse):
            return truncate
        self._sync()
        response = await self._endpoint(request)
        if truncate and response.body is not None and response.status == 200:
            body = bytes(response.body)  # type: ignore[arg-type]
            return web.Response(body=body[: len(body) // 2], content_type=response.content_type)
        return response

    async def _inject_faults(self) -> web.StreamResponse | bool:
        faults = self.faults
        draw = self._rng.random
        if faults.reboot and draw() < faults.reboot:
            self.reboot()
            return web.Response(status=503, text="Service Unavailable")
        if faults.timeout and draw() < faults.timeout:
            await asyncio.sleep(faults.hang_seconds)
            return web.Response(status=504, text="late")
        if faults.error and draw() < faults.error:
            return web.Response(status=500, text="Internal Server Error")
        if faults.slow and draw() < faults.slow:
            await asyncio.sleep(faults.slow_seconds)
        return bool(faults.truncate and draw() < faults.truncate)

    async def _endpoint(self, request: web.Request) -> web.Response:
        system = self.system
        getters = {
            "/status.json": payloads.status,
            "/ems.json": payloads.ems,
            "/schedule.json": payloads.schedule,
            "/params.json": payloads.params,
            "/error_report.json": payloads.error_report,
            "/nodes.json": payloads.nodes,
            "/mains_data.json": payloads.mains,
        }
        if self.options.ota_manifest:
            getters["/ota_manifest.json"] = payloads.ota_manifest
        path, method = request.path, request.method
        if method == "GET" and path in getters:
            return web.json_response(getters[path](system))
        if method == "GET" and path == "/ct.json":
            try:
                node_id = int(request.query.get("node_id", ""))
            except ValueError:
                return web.Response(status=400, text="node_id required")
            data = payloads.ct(system, node_id)
            return (
                web.Response(status=404, text="Unknown node")
                if data is None
                else web.json_response(data)
            )
        if method == "POST" and path == "/params.json":
            return await self._post_params(request)
        if method == "POST" and path == "/console.json":
            form = await request.post()
            command = form.get("cmd")
            if not isinstance(command, str):
                return web.Response(status=400, text="cmd required")
            reply = self.console.run(command)
            if reply.reboot_after_ms is not None:
                handle = asyncio.get_running_loop().call_later(
                    reply.reboot_after_ms / 1000, self.reboot
                )
                self._pending.add(handle)
            return web.Response(text=reply.text)
        if path in getters or path in ("/ct.json", "/console.json"):
            return web.Response(status=405, text="Method Not Allowed")
        return web.Response(status=404, text="Not Found")

    async def _post_params(self, request: web.Request) -> web.Response:
        updates: list[tuple[str, str, bool]] = []
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return web.Response(status=400, text="Invalid JSON")
            if not isinstance(body, dict):
                return web.Response(status=400, text="Expected an object")
            for key, value in body.items():
                text = json.dumps(value) if not isinstance(value, str) else value
                updates.append((str(key), text, False))
        else:
            form = await request.post()
            key, value = form.get("k"), form.get("v")
            if not isinstance(key, str) or not isinstance(value, str):
                return web.Response(status=400, text="k and v required")
            updates.append((key, value, form.get("store") == "1"))
        for key, value, store in updates:
            if key not in self.system.params:
                return web.Response(status=400, text=f"Unknown parameter '{key}'")
            try:
                self.system.set_param(key, value, store=store)
            except ValueError:
                return web.Response(status=400, text=f"Invalid value '{value}' for '{key}'")
        return web.Response(
            text="\n".join(f"Saved parameter k: '{k}' v: '{v}'" for k, v, _ in updates)
        )

    # ------------------------------------------------------------------------------------
    # /_sim/: for tests and demos only

    def state(self) -> dict[str, Any]:
        self._sync()
        system = self.system
        active = system.active_entry()
        return {
            "now": datetime.fromtimestamp(system.now, UTC).isoformat(),
            "epoch": system.now,
            "speed": self.speed,
            "rebooting": self.rebooting,
            "local_mode": system.local_mode,
            "schedule_id": system.schedule_id,
            "active_type": active.type if active else None,
            "house_power": system.house_power,
            "solar_power": system.solar_power,
            "grid_power": system.grid_power,
            "battery_power": sum(unit.power for unit in system.units),
            "units": [
                {"ecu_id": unit.ecu_hex, "soc": unit.soc, "power": unit.power, "fault": unit.fault}
                for unit in system.units
            ],
            "ota": asdict(self.system.ota),
            "faults": asdict(self.faults),
            "requests": dict(self.requests),
            "sent_bytes": dict(self.sent_bytes),
        }

    async def _control(self, request: web.Request) -> web.Response:
        action = request.path.removeprefix("/_sim/")
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return web.Response(status=400, text="JSON body expected")
        try:
            if action == "state":
                pass
            elif action == "clock":
                if "advance" in body:
                    self.advance(float(body["advance"]))
                if "speed" in body:
                    self.set_speed(float(body["speed"]))
            elif action == "faults":
                self.faults = Faults(**{**asdict(self.faults), **body})
            elif action == "unit":
                unit = self.system.units[int(body["index"])]
                self._sync()
                if "fault" in body:
                    unit.fault = bool(body["fault"])
                if "soc" in body:
                    unit.soc = float(body["soc"])
            elif action == "units":
                self._sync()
                self.system.set_unit_count(int(body["count"]))
            elif action == "ota":
                self._sync()
                ota = self.system.ota
                ota.available_version = str(body.get("available", ota.available_version))
                ota.state = str(body.get("state", ota.state)).upper()
                ota.progress = float(body.get("progress", ota.progress))
            elif action == "reboot":
                self.reboot()
            elif action == "password":
                # As an owner changing it on the device: clients with the old one are refused.
                self.options.password = str(body["password"])
            elif action == "requests" and request.method == "DELETE":
                self.requests.clear()
                self.sent_bytes.clear()
            else:
                return web.Response(status=404, text="unknown control")
        except (KeyError, IndexError, TypeError, ValueError) as err:
            return web.Response(status=400, text=f"bad control request: {err}")
        return web.json_response(self.state())
