"""Hostile review of the probes: an entity passed by after a poll must not show an old value.

An entity is called back only when its probe reads something new. What it shows must then follow
from the probe alone: also when its state is written for another reason (a refused choice, the
owner renaming its device), and whatever single value of a real answer changes.
"""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from tests.conftest import load_fixture
from tests.integration.test_lifecycle import (
    LEADER,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    entry_for,
    set_up,
    tick,
)

SELECT = "select.homevolt_system_battery_mode"


def _window(entry_id: int, start: int, end: int, type_code: int) -> dict[str, Any]:
    return {"id": entry_id, "from": start, "to": end, "type": type_code, "params": {}}


async def test_the_mode_select_never_shows_a_schedule_it_was_passed_by_with(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    now = int(dt_util.utcnow().timestamp())
    change = now + 600
    battery.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    # The cloud's plan: charge now, discharge from `change` on (local mode off).
    battery.payloads["/schedule.json"] = {
        "local_mode": False,
        "schedule_id": "cloud-plan-1",
        "schedule": [_window(1, now - 60, change, 1), _window(2, change, change + 600, 2)],
    }
    entry = await set_up(hass, entry_for(battery, LEADER))
    assert hass.states.get(SELECT).state == "inverter_charge"

    # The cloud replans: it charges on after `change`. The mode in force is the same, so the
    # select is passed by; it must not keep the old plan for later.
    battery.payloads["/schedule.json"] = {
        "local_mode": False,
        "schedule_id": "cloud-plan-2",
        "schedule": [_window(1, now - 60, change, 1), _window(3, change, change + 600, 1)],
    }
    await tick(hass, freezer, timedelta(minutes=2, seconds=5))
    assert entry.runtime_data.coordinator.data.schedule.entry(3) is not None
    await tick(hass, freezer, timedelta(seconds=600 - 125 + 5))  # past `change`
    await tick(hass, freezer, POLL)
    assert hass.states.get(SELECT).state == "inverter_charge"

    # The owner tries another mode: refused (local mode off), the list is drawn again.
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": SELECT, "option": "idle"},
            blocking=True,
        )
    assert hass.states.get(SELECT).state == "inverter_charge"  # not the old plan's discharge

    # The owner renames the device: every entity of it writes its state again.
    device_id = er.async_get(hass).async_get(SELECT).device_id
    dr.async_get(hass).async_update_device(device_id, name_by_user="Garage battery")
    await hass.async_block_till_done()
    assert hass.states.get(SELECT).state == "inverter_charge"
    await tick(hass, freezer, POLL)
    assert hass.states.get(SELECT).state == "inverter_charge"
