"""The Schedule calendar: stable state, entry ids, honest open ends, titles in every language."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import json
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, entry_for, setup_entry
from tests.integration.test_control_writes import HoldingProxy

CALENDAR = "calendar.homevolt_schedule"


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    """The device's clock at the real now, as on a real unit."""
    return await start_sim(start=None)


async def _local(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )


async def _action(hass: HomeAssistant, name: str, **data: Any) -> None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    device_id = next(device.id for device in devices if device.name == "Homevolt")
    await hass.services.async_call(DOMAIN, name, {"device_id": device_id, **data}, blocking=True)


async def _events(hass: HomeAssistant, hours: int = 48) -> list[dict[str, Any]]:
    now = dt_util.now()
    result = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": now - timedelta(hours=1),
            "end_date_time": now + timedelta(hours=hours),
        },
        blocking=True,
        return_response=True,
    )
    events: list[dict[str, Any]] = result[CALENDAR]["events"]
    return events


async def _create(hass: HomeAssistant, summary: str, start: datetime, **extra: Any) -> None:
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": CALENDAR,
            "summary": summary,
            "start_date_time": start,
            "end_date_time": start + timedelta(hours=1),
            **extra,
        },
        blocking=True,
    )


def _next_hour(hours: int) -> datetime:
    return (dt_util.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


async def test_state_changes_only_with_the_schedule(
    hass: HomeAssistant, sim: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    written: list[Event[Any]] = []
    hass.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda event: written.append(event) if event.data["entity_id"] == CALENDAR else None,
    )
    first = hass.states.get(CALENDAR)
    assert first.state == "on"
    for _ in range(10):  # 150 s: ten polls, the schedule read twice
        freezer.tick(timedelta(seconds=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert written == []
    assert hass.states.get(CALENDAR).attributes == first.attributes


async def test_entry_id_is_shown_and_deletes_the_entry(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    start = _next_hour(3)
    await _create(hass, "Grid charge", start, description="setpoint=2500\nmax_soc=80")
    created = sim.system.schedule[-1]
    event = next(e for e in await _events(hass) if datetime.fromisoformat(e["start"]) == start)
    assert event["description"].splitlines() == [
        "setpoint=2500",
        "max_soc=80",
        f"entry_id={created.id}",
    ]
    # The description of an existing event is a valid description for a new one.
    await _create(hass, "Grid charge", start + timedelta(hours=2), description=event["description"])
    copied = sim.system.schedule[-1]
    assert (copied.type, copied.params, copied.max_soc) == (3, {"setpoint": 2500}, 80)
    assert copied.id != created.id
    await _action(hass, "delete_schedule_entry", entry_id=created.id)
    assert all(item.id != created.id for item in sim.system.schedule)


async def test_open_ended_entry_ends_where_the_next_begins(
    hass: HomeAssistant, sim: Simulator
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    (only,) = await _events(hass, hours=24 * 400)
    started = datetime.fromisoformat(only["start"])
    # Nothing after it: drawn for a year, a fixed end that polls do not move.
    assert datetime.fromisoformat(only["end"]) == started + timedelta(days=365)
    window = _next_hour(3)
    await _create(hass, "Idle", window)
    events = await _events(hass)
    assert [e["summary"] for e in events] == ["Grid charge", "Idle"]
    assert datetime.fromisoformat(events[0]["end"]) == window
    state = hass.states.get(CALENDAR)
    assert state.attributes["end_time"] == dt_util.as_local(window).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(
    ("title", "mode"),
    [
        ("Grid charge", 3),
        ("grid_charge", 3),
        ("  GRID CHARGE ", 3),
        ("Grid charge/discharge", 5),
        ("Nätladdning", 3),  # sv
        ("Nettutlading", 4),  # nb
        ("Netopladning/-afladning", 5),  # da
        ("Aurinkolataus", 7),  # fi
        ("Netz entladen", 4),  # de
        ("Volledige zonne-export", 9),  # nl
        ("Hvile", 0),  # nb and da alike
    ],
)
async def test_titles_in_every_language(
    hass: HomeAssistant, sim: Simulator, title: str, mode: int
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    setpoint = "setpoint=1000" if mode in (1, 2, 3, 4, 5) else ""
    await _create(hass, title, _next_hour(2), description=setpoint)
    assert sim.system.schedule[-1].type == mode


async def test_refusals_in_the_readmes_words(hass: HomeAssistant, sim: Simulator) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = sim.requests["POST /console.json"]
    with pytest.raises(ServiceValidationError) as caught:
        await _create(hass, "Make coffee", _next_hour(2))
    assert caught.value.translation_key == "unknown_mode"
    modes = caught.value.translation_placeholders["modes"]
    assert modes.startswith("Idle, Inverter charge, Inverter discharge, Grid charge, ")
    with pytest.raises(ServiceValidationError) as caught:
        await _create(hass, "Grid charge", _next_hour(2))
    assert caught.value.translation_key == "setpoint_missing"
    with pytest.raises(ServiceValidationError) as caught:
        await _create(hass, "Idle", datetime(9999, 12, 31, 22, 0, tzinfo=dt_util.UTC))
    assert caught.value.translation_key == "date_out_of_range"
    with pytest.raises(ServiceValidationError) as caught:
        await _create(hass, "Idle", _next_hour(2), description="setpoint=-99999")
    assert caught.value.translation_key == "out_of_range"
    assert sim.requests["POST /console.json"] == before


@pytest.fixture
async def proxy(sim: Simulator) -> AsyncIterator[HoldingProxy]:
    holding = HoldingProxy(sim.url)
    await holding.server.start_server(access_log=None)
    async with ClientSession() as session:
        holding.session = session
        yield holding
    await holding.server.close()


async def test_odd_entries_from_the_device(
    hass: HomeAssistant, sim: Simulator, proxy: HoldingProxy, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    at = int((dt_util.utcnow() + timedelta(hours=2)).timestamp())
    proxy.answer(
        "GET /schedule.json",
        200,
        json.dumps(
            {
                "local_mode": True,
                "schedule_id": "Manual Schedule",
                "schedule": [
                    # No start, no end, a type this integration does not know, offline.
                    {"id": 7, "from": 0, "to": 0, "type": 42, "params": {"offline": True}},
                    # Ends where it starts: nothing to draw.
                    {"id": 8, "from": at, "to": at, "type": 0},
                ],
            }
        ),
    )
    freezer.tick(timedelta(seconds=121))  # the schedule is read every 2 minutes
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    first = await _events(hass, hours=24 * 400)
    assert [(e["summary"], e["description"]) for e in first] == [
        ("Type 42", "offline=1\nentry_id=7")
    ]
    # Drawn from when it was first seen, not from each poll's now.
    freezer.tick(timedelta(minutes=5))
    await entry.runtime_data.coordinator.async_refresh()
    assert await _events(hass, hours=24 * 400) == first


async def test_whole_days_and_unknown_ids_are_refused(
    hass: HomeAssistant, sim: Simulator, hass_ws_client: WebSocketGenerator
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = sim.requests["POST /console.json"]
    tomorrow = dt_util.now().date() + timedelta(days=1)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "calendar",
            "create_event",
            {
                "entity_id": CALENDAR,
                "summary": "Idle",
                "start_date": tomorrow,
                "end_date": tomorrow + timedelta(days=1),
            },
            blocking=True,
        )
    assert caught.value.translation_key == "all_day_event"
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "calendar/event/delete", "entity_id": CALENDAR, "uid": "abc"}
    )
    answer = await client.receive_json()
    assert not answer["success"]
    assert sim.requests["POST /console.json"] == before
