"""Hostile systems for the lifecycle work: scripted batteries that flap, swap, reset and leave.

Each test talks over loopback HTTP to a scripted battery (see test_lifecycle) that answers each
poll with what the test set for it.
"""

import copy
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from tests.conftest import load_fixture
from tests.integration.test_lifecycle import (
    FOLLOWER,
    LEADER,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    entities,
    entry_for,
    set_up,
    state,
    three_units,
    tick,
    without_units,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def our_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings this integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components")
    ]


# --------------------------------------------------------------------------------------------
# The entry's own storage


async def test_removing_the_entry_while_a_unit_is_missing_leaves_no_store(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    payload = three_units()
    battery.payloads["/ems.json"] = payload
    entry = await set_up(hass, entry_for(battery, LEADER))
    battery.payloads["/ems.json"] = without_units(payload, FOLLOWER)
    await tick(hass, freezer, POLL)  # the time away is about to be saved
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, timedelta(minutes=1))
    assert f"{DOMAIN}.{entry.entry_id}.missing_devices" not in hass_storage
