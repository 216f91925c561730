"""Hostile review of the identity skip: endpoints that fail and recover, and the clock.

A battery on 127.0.0.1 answers from what the test set; a failing path answers 503. While one
endpoint fails, exactly the entities that read it go unavailable (no other one writes a state),
and all come back with the value read before.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest

from custom_components.homevolt_local_api.const import SCHEDULE_INTERVAL, STATUS_INTERVAL
from tests.conftest import load_fixture
from tests.integration.test_lifecycle import (
    FOLLOWER,
    LEADER,
    MARTINWELEN,
    POLL,
    capture,
    entities,
    entry_for,
    set_up,
    tick,
    without_units,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


class FlakyBattery:
    """Answers each path with what the test set for it; 503 while the path is failing."""

    def __init__(self) -> None:
        self.payloads: dict[str, Any] = {}
        self.failing: set[str] = set()
        self.failure = 503
        self.url = ""
        self.reads: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.reads.append(request.path)
        if request.path in self.failing:
            return web.Response(status=self.failure)
        payload = self.payloads.get(request.path)
        if payload is None:
            return web.Response(status=404)
        if isinstance(payload, str):
            return web.Response(text=payload, content_type="application/json")
        return web.json_response(payload)


@pytest.fixture
async def flaky() -> AsyncIterator[FlakyBattery]:
    device = FlakyBattery()
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", device.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log=None)
    device.url = str(server.make_url("/")).rstrip("/")
    yield device
    await server.close()


def _schedule(now: int) -> dict[str, Any]:
    """Charging at 3000 W until `now` + 5 s, then grid charge at 2500 W for an hour."""
    return {
        "local_mode": True,
        "schedule_id": "Manual Schedule",
        "schedule": [
            {"id": 1, "from": now - 3600, "to": now + 5, "type": 1, "params": {"setpoint": 3000}},
            {"id": 2, "from": now + 5, "to": now + 3600, "type": 2, "params": {"setpoint": 2500}},
        ],
    }


def _states(hass: HomeAssistant, entry: Any) -> dict[str, str]:
    found = {}
    for unique_id, entity_id in entities(hass, entry).items():
        state = hass.states.get(entity_id)
        if state is not None and not unique_id.endswith("_boot_time"):
            found[entity_id] = state.state
    return found


async def _set_up(hass: HomeAssistant, flaky: FlakyBattery) -> Any:
    flaky.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    flaky.payloads["/status.json"] = capture(MARTINWELEN, "status.json")
    # Starts well before set-up and ends long after the test: the entry in force stays.
    start = int(dt_util.utcnow().timestamp())
    flaky.payloads["/schedule.json"] = {
        "local_mode": True,
        "schedule_id": "Manual Schedule",
        "schedule": [
            {
                "id": 1,
                "from": start - 60,
                "to": start + 86400,
                "type": 1,
                "params": {"setpoint": 3000},
            }
        ],
    }
    return await set_up(hass, entry_for(flaky, LEADER))


@pytest.mark.parametrize(
    ("path", "wait"),
    [("/schedule.json", SCHEDULE_INTERVAL), ("/status.json", STATUS_INTERVAL), ("/ems.json", POLL)],
)
async def test_a_failing_endpoint_takes_down_only_its_entities(
    hass: HomeAssistant,
    flaky: FlakyBattery,
    freezer: FrozenDateTimeFactory,
    path: str,
    wait: timedelta,
) -> None:
    entry = await _set_up(hass, flaky)
    await tick(hass, freezer, POLL)
    before = _states(hass, entry)
    written: list[str] = []

    @callback
    def record(event: Event[Any]) -> None:
        if event.data["entity_id"] in before:  # not the boot time, which moves
            written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    flaky.failing = {path}
    await tick(hass, freezer, wait)
    failed = _states(hass, entry)
    down = {entity_id for entity_id, state in failed.items() if state == STATE_UNAVAILABLE}
    newly_down = {entity_id for entity_id in down if before.get(entity_id) != STATE_UNAVAILABLE}
    assert newly_down
    # Nothing but what went down wrote a state: no entity flickered or changed its value.
    assert set(written) == newly_down
    if path == "/ems.json":
        assert down == set(failed)
    else:
        kept = "sensor.homevolt_system_state_of_charge"
        assert kept in failed and kept not in down

    written.clear()
    flaky.failing = set()
    await tick(hass, freezer, wait)
    assert _states(hass, entry) == before
    assert set(written) == newly_down  # back, each once


async def test_the_entry_in_force_changes_between_polls(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    flaky.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    now = int(dt_util.utcnow().timestamp())
    flaky.payloads["/schedule.json"] = _schedule(now)
    entry = await set_up(hass, entry_for(flaky, LEADER))
    ids = entities(hass, entry)
    shown = {
        "select": ids[f"select:{LEADER}_system_battery_mode_control"],
        "number": ids[f"number:{LEADER}_system_power_setpoint"],
        "mode": ids[f"sensor:{LEADER}_system_battery_mode"],
        "setpoint": ids[f"sensor:{LEADER}_system_power_setpoint"],
        "calendar": ids[f"calendar:{LEADER}_system_schedule"],
        "next": ids[f"sensor:{LEADER}_system_next_schedule_change"],
    }

    def now_shown() -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, entity_id in shown.items():
            state = hass.states.get(entity_id)
            assert state is not None
            found[name] = state.attributes.get("message") if name == "calendar" else state.state
        return found

    charging = {
        "select": "inverter_charge",
        "number": "3000.0",
        "mode": "inverter_charge",
        "setpoint": "3000",
        "calendar": "Inverter charge",
        "next": dt_util.utc_from_timestamp(now + 5).isoformat(),
    }
    discharging = {
        "select": "inverter_discharge",
        "number": "2500.0",
        "mode": "inverter_discharge",
        "setpoint": "2500",
        "calendar": "Inverter discharge",
        "next": dt_util.utc_from_timestamp(now + 3600).isoformat(),
    }
    assert now_shown() == charging
    # The read that follows set-up (at 2 s) comes first; the next poll is then 15 s later.
    await tick(hass, freezer, timedelta(seconds=3))
    assert now_shown() == charging
    # 5 s after the change, 8 s before the next poll: all show the entry now in force.
    await tick(hass, freezer, timedelta(seconds=7))
    assert now_shown() == discharging
    await tick(hass, freezer, timedelta(seconds=5))
    assert now_shown() == discharging


async def test_no_read_at_a_schedule_change_while_polling_is_off(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    flaky.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    flaky.payloads["/schedule.json"] = _schedule(int(dt_util.utcnow().timestamp()))
    await set_up(hass, entry_for(flaky, LEADER, pref_disable_polling=True))
    flaky.reads.clear()
    await tick(hass, freezer, timedelta(seconds=10))
    assert flaky.reads == []  # the owner reads the battery when they choose


async def test_the_calendar_shows_new_limits_of_the_same_entry(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, flaky)
    calendar = entities(hass, entry)[f"calendar:{LEADER}_system_schedule"]
    state = hass.states.get(calendar)
    assert state is not None and "setpoint=3000" in state.attributes["description"]

    # The same entry (id, times, mode) read again with another setpoint and a minimum SOC.
    schedule = flaky.payloads["/schedule.json"]
    schedule["schedule"][0]["params"]["setpoint"] = 2500
    schedule["schedule"][0]["min"] = 20
    await tick(hass, freezer, SCHEDULE_INTERVAL)
    state = hass.states.get(calendar)
    assert state is not None
    assert "setpoint=2500" in state.attributes["description"]
    assert "min_soc=20" in state.attributes["description"]


async def test_a_nan_in_ems_is_no_value_kept(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, flaky)
    await tick(hass, freezer, POLL)
    before = _states(hass, entry)
    soc = "sensor.homevolt_system_state_of_charge"
    assert before[soc] not in (STATE_UNAVAILABLE, "unknown")

    # Not JSON, as Python would write it: the answer is refused, nothing of it shown.
    good = flaky.payloads["/ems.json"]
    text = json.dumps(good)
    flaky.payloads["/ems.json"] = text.replace('"soc_avg": 68', '"soc_avg": NaN', 1)
    assert flaky.payloads["/ems.json"] != text
    await tick(hass, freezer, POLL)
    assert set(_states(hass, entry).values()) == {STATE_UNAVAILABLE}

    flaky.payloads["/ems.json"] = good
    await tick(hass, freezer, POLL)
    assert _states(hass, entry) == before


async def test_a_refused_password_for_a_while_and_back(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, flaky)
    await tick(hass, freezer, POLL)
    before = _states(hass, entry)
    # The battery refuses the password (it locks logins for a while), then accepts it again.
    flaky.failing, flaky.failure = {"/ems.json"}, 401
    await tick(hass, freezer, POLL)
    assert set(_states(hass, entry).values()) == {STATE_UNAVAILABLE}
    flaky.failing = set()
    await tick(hass, freezer, timedelta(seconds=45))
    assert _states(hass, entry) == before
    assert not hass.config_entries.flow.async_progress()  # no reauth asked for a short lock


async def test_a_unit_missing_for_a_poll_leaves_the_others_alone(
    hass: HomeAssistant, flaky: FlakyBattery, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, flaky)
    await tick(hass, freezer, POLL)
    before = _states(hass, entry)
    ids = entities(hass, entry)
    follower = {ids[key] for key in ids if f"_unit_{FOLLOWER}_" in key}
    leader = {ids[key] for key in ids if f"_unit_{LEADER}_" in key}
    assert follower and leader
    written: list[str] = []

    @callback
    def record(event: Event[Any]) -> None:
        if event.data["entity_id"] in before:
            written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    whole = flaky.payloads["/ems.json"]
    flaky.payloads["/ems.json"] = without_units(whole, FOLLOWER)
    await tick(hass, freezer, POLL)
    states = _states(hass, entry)
    assert {entity_id for entity_id in follower if before[entity_id] != STATE_UNAVAILABLE} <= {
        entity_id for entity_id in follower if states[entity_id] == STATE_UNAVAILABLE
    }
    assert not set(written) & leader  # the leader's and its modules' entities wrote nothing

    written.clear()
    flaky.payloads["/ems.json"] = whole
    await tick(hass, freezer, POLL)
    assert _states(hass, entry) == before
    assert not set(written) & leader
