"""A second, hostile look at the Schedule calendar: what an owner (or a script) may type."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from simulator.server import Simulator
from tests.integration.conftest import StartSim, entry_for, setup_entry

CALENDAR = "calendar.homevolt_schedule"


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    return await start_sim(start=None)


def _next_hour(hours: int) -> datetime:
    return (dt_util.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


async def _local(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )


# Text Python calls digits but int() refuses, and more digits than int() converts.
@pytest.mark.parametrize("uid", ["²", "9" * 5000], ids=["superscript", "5000 digits"])
async def test_odd_event_ids_are_refused_in_words(
    hass: HomeAssistant,
    sim: Simulator,
    hass_ws_client: WebSocketGenerator,
    uid: str,
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = sim.requests["POST /console.json"]
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "calendar/event/delete", "entity_id": CALENDAR, "uid": uid}
    )
    answer = await client.receive_json()
    assert not answer["success"]
    # The owner's words, not Python's ("invalid literal for int()", "Exceeds the limit").
    assert "is not a schedule entry of this battery" in answer["error"]["message"]
    assert len(answer["error"]["message"]) < 200
    assert sim.requests["POST /console.json"] == before


@pytest.mark.parametrize(
    "description", ["setpoint=" + "9" * 5000, "setpoint=²"], ids=["5000 digits", "superscript"]
)
async def test_odd_limits_are_refused_in_words(
    hass: HomeAssistant, sim: Simulator, description: str
) -> None:
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    before = sim.requests["POST /console.json"]
    data: dict[str, Any] = {
        "entity_id": CALENDAR,
        "summary": "Grid charge",
        "start_date_time": _next_hour(2),
        "end_date_time": _next_hour(3),
        "description": description,
    }
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call("calendar", "create_event", data, blocking=True)
    assert sim.requests["POST /console.json"] == before


STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # Across spring forward (02:00 becomes 03:00) and fall back (03:00 becomes 02:00).
        (datetime(2027, 3, 28, 1, 30), datetime(2027, 3, 28, 4, 30)),
        (datetime(2027, 10, 31, 1, 30), datetime(2027, 10, 31, 3, 30)),
    ],
    ids=["march", "october"],
)
async def test_events_across_daylight_saving_land_at_the_right_instants(
    hass: HomeAssistant, sim: Simulator, start: datetime, end: datetime
) -> None:
    await hass.config.async_set_time_zone("Europe/Stockholm")  # the device's zone too
    await setup_entry(hass, entry_for(sim))
    await _local(hass)
    start, end = start.replace(tzinfo=STOCKHOLM), end.replace(tzinfo=STOCKHOLM)
    # Given in another zone, with a Swedish title and a note line copied from an event.
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": CALENDAR,
            "summary": "Nätladdning",
            "start_date_time": start.astimezone(ZoneInfo("America/New_York")),
            "end_date_time": end.astimezone(ZoneInfo("America/New_York")),
            "description": "setpoint=1000\nentry_id=99",
        },
        blocking=True,
    )
    added = sim.system.schedule[-1]
    assert (added.start, added.end) == (int(start.timestamp()), int(end.timestamp()))
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    (event,) = [e for e in events[CALENDAR]["events"] if e["summary"] == "Grid charge"]
    assert datetime.fromisoformat(event["start"]) == start
    assert datetime.fromisoformat(event["end"]) == end
