"""The async client for the Homevolt local API."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
import json
import logging
import math
import re
from typing import Any
import zlib

import aiohttp
from yarl import URL

from . import commands
from .const import (
    CONNECT_TIMEOUT,
    CONSOLE_FAILURE,
    CONSOLE_SUCCESS,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    PARAM_LOCAL_MODE,
    PARAM_MIN_SOC,
    PATH_CONSOLE,
    PATH_EMS,
    PATH_ERROR_REPORT,
    PATH_OTA_MANIFEST,
    PATH_PARAMS,
    PATH_SCHEDULE,
    PATH_STATUS,
    READ_TIMEOUT,
    REQUEST_DEADLINE,
    USERNAME,
    BatteryMode,
    ScheduleSource,
)
from .exceptions import (
    HomevoltAuthenticationError,
    HomevoltCommandError,
    HomevoltConnectionError,
    HomevoltError,
    HomevoltModeNotSupportedError,
    HomevoltOutcomeUnknownError,
    HomevoltResponseError,
    HomevoltTimeoutError,
    HomevoltUnsupportedError,
    HomevoltValidationError,
)
from .models import (
    EmsData,
    ErrorReportItem,
    FirmwareUpdate,
    Json,
    Parameters,
    ParamValue,
    Plausibility,
    Schedule,
    ScheduleEntry,
    ScheduleLimits,
    Status,
    parse_ems,
    parse_error_report,
    parse_ota_manifest,
    parse_params,
    parse_schedule,
    parse_status,
)

_LOGGER = logging.getLogger(__name__)

# A busy or rebooting device, or a proxy in front of it: worth one more read.
_RETRY_STATUSES = frozenset({502, 503, 504})
_CHUNK = 64 * 1024

_HOST_NAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+$|^[0-9A-Fa-f:.]+$")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PARAM_TEXT = re.compile(r"^[\x20-\x7e]{0,64}$")


def normalize_host(host: str) -> URL:
    """The base URL for what a user typed: an address, a name, host:port, or a full URL."""
    text = host.strip() if isinstance(host, str) else ""
    if not text:
        raise HomevoltValidationError("the host is empty")
    if "://" not in text:
        # A bare IPv6 address needs brackets before a scheme can go in front.
        if text.count(":") > 1 and not text.startswith("["):
            text = f"[{text}]"
        text = f"http://{text}"
    try:
        url = URL(text)
    except ValueError as err:
        raise HomevoltValidationError(f"{host!r} is not a valid host") from err
    if url.scheme not in ("http", "https") or not url.host:
        raise HomevoltValidationError(f"{host!r} is not an http or https address")
    if not _HOST_NAME.match(url.host):
        raise HomevoltValidationError(f"{host!r} is not a valid host name or address")
    if url.path not in ("", "/") or url.query_string or url.fragment or url.user:
        raise HomevoltValidationError(f"{host!r} must be only a host, without a path")
    return url.with_path("/")


class HomevoltClient:
    """Talks to one Homevolt unit (the leader of its system) over its local HTTP API.

    Requests are sent one at a time: the device is an ESP32 that should not get bursts.
    Writes are serialized too, each confirmed by reading the state back.
    """

    def __init__(
        self,
        host: str,
        password: str | None = None,
        *,
        session: aiohttp.ClientSession,
        timeout: aiohttp.ClientTimeout | None = None,
        verify_ssl: bool = True,
        device_timezone: tzinfo | None = None,
        deadline: float | None = None,
    ) -> None:
        """Create a client; nothing is sent until a method is called.

        `device_timezone` is the zone the device's clock is set to (the home's), used to write
        schedule times when the device's own answers do not reveal its offset. `deadline` bounds
        each whole request in seconds (REQUEST_DEADLINE by default).
        """
        self.base_url = normalize_host(host)
        self._session = session
        self._deadline = REQUEST_DEADLINE if deadline is None else deadline
        self._timeout = timeout or aiohttp.ClientTimeout(
            total=None,
            connect=CONNECT_TIMEOUT,
            sock_connect=CONNECT_TIMEOUT,
            # A pause that long in an answer ends past the deadline anyway: no timer per read.
            sock_read=READ_TIMEOUT if self._deadline > READ_TIMEOUT else None,
        )
        self._ssl: bool = verify_ssl if self.base_url.scheme == "https" else True
        # Only the encodings _read_body can inflate within its cap.
        self._headers = _Headers({aiohttp.hdrs.ACCEPT_ENCODING: "gzip, deflate"})
        if password:
            self._headers[aiohttp.hdrs.AUTHORIZATION] = aiohttp.encode_basic_auth(
                USERNAME, password
            )
        self._device_timezone = device_timezone
        self._answers: dict[str, Json] = {}
        self._urls: dict[str, URL] = {}  # by path: the client's few endpoints
        self.plausibility = Plausibility()
        self._request_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._ems: EmsData | None = None

    # ----------------------------------------------------------------------------------------
    # transport

    async def _request(self, method: str, path: str, data: dict[str, str] | None = None) -> str:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = self.base_url.with_path(path)
        async with self._request_lock:
            try:
                async with asyncio.timeout(self._deadline):
                    failure: object = None
                    try:
                        status, body = await self._send(method, url, path, data)
                        if method == "GET" and status in _RETRY_STATUSES:
                            failure = status
                    except _ConnectionLostError as err:
                        if method != "GET":
                            raise  # a write may have arrived: never sent twice
                        failure = err
                    if failure is not None:
                        _LOGGER.debug("%s failed (%s); reading it once more", path, failure)
                        status, body = await self._send(method, url, path, data)
            except TimeoutError as err:
                raise HomevoltTimeoutError(f"{path}: the device did not answer in time") from err
        if status in (401, 403):
            raise HomevoltAuthenticationError(f"{path}: the device refused the password ({status})")
        if status == 404:
            raise HomevoltUnsupportedError(f"{path}: the device does not offer this (404)")
        if status >= 500:
            raise HomevoltConnectionError(f"{path}: the device answered with an error ({status})")
        if status >= 300:
            raise HomevoltResponseError(f"{path}: unexpected HTTP status {status}")
        return body.decode("utf-8", errors="replace")

    async def _send(
        self,
        method: str,
        url: URL,
        path: str,
        data: dict[str, str] | None,
    ) -> tuple[int, bytes]:
        """One request: its status and (capped, decompressed) body."""
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=self._headers,
                timeout=self._timeout,
                ssl=self._ssl,
                allow_redirects=False,
                auto_decompress=False,
            ) as response:
                return response.status, await _read_body(response, path)
        except TimeoutError:
            raise  # aiohttp's own timeouts are ClientErrors too: they stay timeouts
        except aiohttp.ClientConnectorError as err:
            raise HomevoltConnectionError(f"cannot connect to {url.host}: {err}") from err
        except aiohttp.ClientPayloadError as err:
            raise _ConnectionLostError(f"{path}: {err.__class__.__name__}: {err}") from err
        except aiohttp.ClientError as err:
            raise HomevoltConnectionError(f"{path}: {err.__class__.__name__}: {err}") from err

    async def _get_json(self, path: str) -> Json:
        text = await self._request("GET", path)
        try:
            answer: Json = _DECODER.decode(text)
        except (ValueError, RecursionError) as err:
            raise HomevoltResponseError(f"{path.lstrip('/')}: not valid JSON") from err
        if _deeper_than(text, MAX_JSON_DEPTH):
            # Python parses far deeper than diagnostics or any recursive walk can handle.
            raise HomevoltResponseError(f"{path.lstrip('/')}: nested deeper than any real answer")
        self._answers[path.lstrip("/")] = answer
        return answer

    # ----------------------------------------------------------------------------------------
    # reads

    async def ems(self) -> EmsData:
        """Read ems.json: every unit, its batteries and the CT sensors."""
        data = parse_ems(await self._get_json(PATH_EMS), self.plausibility)
        self._ems = data
        return data

    async def status(self) -> Status:
        """Read status.json: firmware, connectivity, uptime."""
        return parse_status(await self._get_json(PATH_STATUS), self.plausibility)

    async def schedule(self) -> Schedule:
        """Read schedule.json: local mode and the schedule the battery follows."""
        return parse_schedule(await self._get_json(PATH_SCHEDULE), self.plausibility)

    async def params(self) -> Parameters:
        """Read params.json (large: read it rarely)."""
        return parse_params(await self._get_json(PATH_PARAMS), self.plausibility)

    async def error_report(self) -> tuple[ErrorReportItem, ...]:
        """Read error_report.json: the device's self-checks."""
        return parse_error_report(await self._get_json(PATH_ERROR_REPORT), self.plausibility)

    async def ota_manifest(self) -> tuple[FirmwareUpdate, ...]:
        """Read ota_manifest.json: installed and offered firmware, and an update's progress."""
        return parse_ota_manifest(await self._get_json(PATH_OTA_MANIFEST), self.plausibility)

    @property
    def last_answers(self) -> dict[str, Json]:
        """The raw JSON each endpoint last answered (for diagnostics: nothing is sent)."""
        return dict(self._answers)

    # ----------------------------------------------------------------------------------------
    # writes

    async def _rated_power(self) -> int:
        ems = self._ems or await self.ems()
        rated = ems.rated_power
        if not rated or rated <= 0:
            raise HomevoltValidationError("the device does not report its rated power")
        return int(rated)

    async def _console(self, command: str) -> None:
        text = await self._request("POST", PATH_CONSOLE, {"cmd": command})
        if CONSOLE_SUCCESS.search(text) and not CONSOLE_FAILURE.search(text):
            return
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        reason = lines[-1] if lines else "no answer"
        raise HomevoltCommandError(f"the device refused '{command}': {reason}")

    async def _write[T](
        self,
        send: Callable[[], Any],
        read_back: Callable[[], Any],
        verify: Callable[[T], str | None],
        what: str,
    ) -> T:
        """Send one write, then read the state back and check it.

        A write whose answer was lost is never sent again: the read-back decides.
        """
        sent_unknown: HomevoltConnectionError | None = None
        try:
            await send()
        except HomevoltConnectionError as err:
            if isinstance(err.__cause__, aiohttp.ClientConnectorError):
                raise  # never reached the device
            sent_unknown = err
        try:
            state: T = await read_back()
        except HomevoltError as err:
            if sent_unknown is not None:
                raise HomevoltOutcomeUnknownError(
                    f"{what}: the device did not answer and its state could not be read; "
                    "the command was not resent"
                ) from sent_unknown
            # The device accepted the command: it may well have carried it out.
            raise HomevoltOutcomeUnknownError(
                f"{what}: sent, but the result could not be read back; the command was not resent"
            ) from err
        problem = verify(state)
        if problem is None:
            return state
        if sent_unknown is not None:
            raise HomevoltOutcomeUnknownError(
                f"{what}: the device did not answer and the read-back shows {problem}; "
                "the command was not resent"
            ) from sent_unknown
        raise HomevoltCommandError(f"{what}: {problem}")

    async def set_schedule(self, mode: BatteryMode, **limits: object) -> Schedule:
        """Replace the schedule with one entry in `mode`, from now on (sched_set)."""
        wanted = _limits(limits)
        command = commands.sched_set(mode, wanted, await self._rated_power())
        async with self._write_lock:
            return await self._write(
                lambda: self._console(command),
                self.schedule,
                lambda schedule: _check_entry(schedule, mode, wanted),
                f"set mode {mode}",
            )

    async def add_schedule_entry(
        self, mode: BatteryMode, start: datetime, end: datetime, **limits: object
    ) -> Schedule:
        """Add a window from `start` to `end` (aware datetimes) in `mode` (sched_add)."""
        wanted = _limits(limits)
        for name, moment in (("start", start), ("end", end)):
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise HomevoltValidationError(f"{name} must be a datetime with a time zone")
        start, end = _whole_second(start), _whole_second(end)
        if end <= datetime.now(UTC):
            raise HomevoltValidationError("the end of a schedule entry must be in the future")
        command = commands.sched_add(
            mode,
            self._device_time(start),
            self._device_time(end),
            wanted,
            await self._rated_power(),
        )
        async with self._write_lock:
            # Ids alone do not tell: they restart when a local schedule replaces the cloud's.
            before = {_identity(entry) for entry in (await self.schedule()).entries}

            def verify(schedule: Schedule) -> str | None:
                added = [entry for entry in schedule.entries if _identity(entry) not in before]
                for entry in added:
                    if entry.start == start and entry.end == end:
                        return _entry_problem(entry, mode, wanted)
                if added:
                    got = added[-1]
                    return (
                        f"the device placed the entry at {got.start} to {got.end}, "
                        f"not {start} to {end}"
                    )
                return "no new entry appeared in the schedule"

            try:
                return await self._write(
                    lambda: self._console(command), self.schedule, verify, f"add {mode} entry"
                )
            except HomevoltCommandError:
                await self._undo_misplaced(before, start, end)
                raise

    async def _undo_misplaced(
        self, before: set[tuple[object, ...]], start: datetime, end: datetime
    ) -> None:
        """Remove an entry the device added at the wrong time, so it never runs."""
        try:
            schedule = await self.schedule()
            for entry in schedule.entries:
                if _identity(entry) not in before and (entry.start, entry.end) != (start, end):
                    await self._console(commands.sched_del(entry.id))
        except HomevoltError:
            return

    async def delete_schedule_entry(self, entry_id: int) -> Schedule:
        """Delete one entry (sched_del)."""
        command = commands.sched_del(entry_id)
        async with self._write_lock:
            return await self._write(
                lambda: self._console(command),
                self.schedule,
                lambda schedule: (
                    f"entry {entry_id} is still in the schedule"
                    if schedule.entry(entry_id)
                    else None
                ),
                f"delete entry {entry_id}",
            )

    async def clear_schedule(self) -> Schedule:
        """Delete every entry (sched_clear)."""
        async with self._write_lock:
            return await self._write(
                lambda: self._console(commands.sched_clear()),
                self.schedule,
                lambda schedule: (
                    f"{len(schedule.entries)} local entries remain"
                    if schedule.entries and schedule.source is not ScheduleSource.REMOTE
                    else None
                ),
                "clear the schedule",
            )

    async def charge(
        self, power: int, target_soc: int | None = None, *, until: datetime | None = None
    ) -> Schedule:
        """Charge at `power` W up to `target_soc` %, from now on or until `until`."""
        limits: dict[str, object] = {"setpoint": power, "max_soc": target_soc}
        if until is None:
            return await self.set_schedule(BatteryMode.INVERTER_CHARGE, **limits)
        return await self.add_schedule_entry(
            BatteryMode.INVERTER_CHARGE, datetime.now(UTC), until, **limits
        )

    async def discharge(
        self, power: int, target_soc: int | None = None, *, until: datetime | None = None
    ) -> Schedule:
        """Discharge at `power` W down to `target_soc` %, from now on or until `until`."""
        limits: dict[str, object] = {"setpoint": power, "min_soc": target_soc}
        if until is None:
            return await self.set_schedule(BatteryMode.INVERTER_DISCHARGE, **limits)
        return await self.add_schedule_entry(
            BatteryMode.INVERTER_DISCHARGE, datetime.now(UTC), until, **limits
        )

    async def set_parameter(
        self, name: str, value: ParamValue, *, persist: bool = True
    ) -> Parameters:
        """Set a device parameter (POST params.json); `persist` keeps it across reboots."""
        form = _param_form(name, value, persist)
        async with self._write_lock:
            return await self._write(
                lambda: self._request("POST", PATH_PARAMS, form),
                self.params,
                lambda params: _param_problem(params, name, value),
                f"set {name}",
            )

    async def set_local_mode(self, enabled: bool) -> Schedule:
        """Turn local mode on (the cloud stops replacing local schedules) or off; persisted."""
        if not isinstance(enabled, bool):
            raise HomevoltValidationError(f"local mode must be true or false, got {enabled!r}")
        form = _param_form(PARAM_LOCAL_MODE, enabled, True)
        async with self._write_lock:
            return await self._write(
                lambda: self._request("POST", PATH_PARAMS, form),
                self.schedule,
                lambda schedule: (
                    None
                    if schedule.local_mode is enabled
                    else f"local mode is still {'on' if schedule.local_mode else 'off'}"
                ),
                "set local mode",
            )

    async def set_minimum_soc(self, percent: int) -> Parameters:
        """Set the battery_min_soc parameter (only on units that list it), persisted."""
        commands.validate_limits(BatteryMode.IDLE, ScheduleLimits(min_soc=percent), 1)
        return await self.set_parameter(PARAM_MIN_SOC, percent, persist=True)

    # ----------------------------------------------------------------------------------------
    # time

    def _device_time(self, moment: datetime) -> datetime:
        """A moment as the naive wall-clock time the device's console expects.

        The device renders its own timestamps in its local time (timestamp_str); its offset,
        learned from ems.json, wins over the zone the caller configured.
        """
        offset = self._ems.device_utc_offset if self._ems else None
        zone = self._device_timezone
        if zone is not None:
            now_offset = datetime.now(zone).utcoffset()
            if offset is None or now_offset == offset:
                return moment.astimezone(zone).replace(tzinfo=None)
        if offset is not None:
            return (moment.astimezone(UTC) + offset).replace(tzinfo=None)
        return moment.astimezone(UTC).replace(tzinfo=None)


class _ConnectionLostError(HomevoltConnectionError):
    """The connection broke in the middle of the answer: a read may be retried.

    (A reset before the answer is resent once by aiohttp itself, for reads only.)
    """


class _Headers(dict[str, str]):
    """Request headers that never show the credentials in a repr or a log line."""

    def __repr__(self) -> str:
        return repr(
            {k: "**REDACTED**" if k == aiohttp.hdrs.AUTHORIZATION else v for k, v in self.items()}
        )


async def _read_body(response: aiohttp.ClientResponse, path: str) -> bytes:
    """The body, decompressed, refused as soon as it grows past MAX_BODY_BYTES either way."""
    declared = response.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise _too_large(path)
    encoding = response.headers.get(aiohttp.hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflate: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj()
    elif encoding in ("", "identity"):
        inflate = None
    else:
        raise HomevoltResponseError(f"{path}: unsupported content encoding {encoding[:20]!r}")
    if inflate is None and declared is not None:
        # HTTP framing ends the body at its declared length, which is within the cap.
        return await response.content.read()
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            if inflate is None:
                body += chunk
            else:
                # max_length: a gzip bomb never expands past the cap in memory.
                body += inflate.decompress(chunk, MAX_BODY_BYTES + 1 - len(body))
                if inflate.unconsumed_tail:
                    raise _too_large(path)
            if len(body) > MAX_BODY_BYTES:
                raise _too_large(path)
        if inflate is not None:
            body += inflate.flush(MAX_BODY_BYTES + 1 - len(body))
    except zlib.error as err:
        raise HomevoltResponseError(f"{path}: the compressed answer is corrupt") from err
    if len(body) > MAX_BODY_BYTES:
        raise _too_large(path)
    return bytes(body)


# Every byte but brackets and quotes, for bytes.translate to drop.
_NOT_STRUCTURE = bytes(code for code in range(256) if code not in b'[]{}"')
# A string's quotes with what is left between them (brackets that were part of its text).
_STRING = re.compile(rb'"[^"]*"')


def _deeper_than(text: str, levels: int) -> bool:
    """Whether valid JSON `text` nests lists and objects more than `levels` deep.

    Works on the text, at C speed: escaped backslashes and quotes go first, then everything but
    brackets and quotes, then the strings; each pass then removes the innermost empty pairs of
    what is left, so the number of passes that empties it is the depth.
    """
    skeleton = text.encode("utf-8", "surrogatepass")
    if b"\\" in skeleton:
        # Escapes pair off from the left, so removing backslash pairs first leaves `\"` exact.
        skeleton = skeleton.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = skeleton.translate(None, _NOT_STRUCTURE)
    # Two quotes side by side end one string and start the next, or are an empty string:
    # dropping them keeps every string's text between a pair of quotes.
    skeleton = skeleton.replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _STRING.sub(b"", skeleton)
    for _ in range(levels):
        if not skeleton:
            return False
        # Every empty pair at once: marked first, so that removing one cannot join another.
        skeleton = skeleton.replace(b"[]", b"-").replace(b"{}", b"-").replace(b"-", b"")
    return bool(skeleton)


def _too_large(path: str) -> HomevoltResponseError:
    return HomevoltResponseError(
        f"{path}: the answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB"
    )


def _identity(entry: ScheduleEntry) -> tuple[object, ...]:
    return (entry.id, entry.start, entry.end, entry.type_code, entry.limits)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


# Made once: json.loads with an option builds a new decoder for every answer.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


_LIMIT_NAMES = frozenset(ScheduleLimits.__dataclass_fields__)


def _limits(values: dict[str, object]) -> ScheduleLimits:
    unknown = set(values) - _LIMIT_NAMES
    if unknown:
        raise HomevoltValidationError(f"unknown limits: {', '.join(sorted(unknown))}")
    return ScheduleLimits(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]


def _entry_problem(entry: ScheduleEntry, mode: BatteryMode, wanted: ScheduleLimits) -> str | None:
    if entry.type_code != mode.code:
        got = entry.mode or f"type {entry.type_code}"
        if mode is not BatteryMode.IDLE and entry.mode is BatteryMode.IDLE:
            raise HomevoltModeNotSupportedError(mode)
        return f"the device runs {got} instead of {mode}"
    for name in _LIMIT_NAMES:
        value = getattr(wanted, name)
        if value is not None and value is not False and getattr(entry.limits, name) != value:
            return f"{name} reads back as {getattr(entry.limits, name)!r}, not {value!r}"
    return None


def _check_entry(schedule: Schedule, mode: BatteryMode, wanted: ScheduleLimits) -> str | None:
    # sched_set replaces the schedule: its entry is the newest. (No clock comparison: the
    # device's clock and ours need not agree.)
    if not schedule.entries:
        return "the schedule is empty after the write"
    return _entry_problem(max(schedule.entries, key=lambda entry: entry.id), mode, wanted)


def _param_text(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise HomevoltValidationError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str) and _PARAM_TEXT.match(value):
        return value
    raise HomevoltValidationError(f"{value!r} is not a value a parameter can take")


def _param_form(name: str, value: ParamValue, persist: bool) -> dict[str, str]:
    if not isinstance(name, str) or not _PARAM_NAME.match(name):
        raise HomevoltValidationError(f"{name!r} is not a parameter name")
    return {"k": name, "v": _param_text(value), "store": "1" if persist else "0"}


def _same_value(got: ParamValue | None, wanted: ParamValue) -> bool:
    if isinstance(wanted, bool) or isinstance(got, bool):
        return got is wanted or (isinstance(got, int) and got == int(wanted))
    if isinstance(wanted, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, wanted, rel_tol=1e-6, abs_tol=1e-6)
    return got == wanted


def _param_problem(params: Parameters, name: str, wanted: ParamValue) -> str | None:
    parameter = params.get(name)
    if parameter is None:
        return f"the device has no parameter {name}"
    if not _same_value(parameter.scalar, wanted):
        return f"{name} reads back as {parameter.scalar!r}, not {wanted!r}"
    return None
