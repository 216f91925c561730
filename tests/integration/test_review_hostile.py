"""A second, hostile look at issue 11: answers a real network or firmware could send."""

import json
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.homevolt_local_api.api import BatteryMode
from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.hostile import HostileProxy
from tests.integration.conftest import entry_for, setup_entry
from tests.integration.test_hostile import (
    _tick,
    proxy,  # noqa: F401 - the hostile proxy fixture
    sim,  # noqa: F401 - the simulator fixture
)

SOC = "sensor.homevolt_state_of_charge"
WIFI = "sensor.homevolt_wi_fi_signal"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [300, 5000])
async def test_a_deeply_nested_answer_never_breaks_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    depth: int,
) -> None:
    # Valid JSON, well under the size cap, that Python still parses: firmware junk in an
    # extra key of status.json.
    entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
    assert entry.state is ConfigEntryState.LOADED
    proxy.mutations["/status.json"] = lambda payload: payload.update(junk=_nested(depth))
    await _tick(hass, freezer, 300)  # status.json's tier
    assert hass.states.get(SOC).state != STATE_UNAVAILABLE
    # Such an answer is refused like any other broken one: only status's own entities go.
    assert hass.states.get(WIFI).state == STATE_UNAVAILABLE
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["raw"]["ems.json"]["ems"]
    assert "junk" not in diagnostics["raw"]["status.json"]  # the last good answer
    json.dumps(diagnostics)
    # (aiohttp's access log cannot format the frozen clock's time: not ours.)
    ours = [r for r in caplog.records if not r.name.startswith(("aiohttp", "asyncio"))]
    assert not [r for r in ours if r.exc_info and r.levelno >= logging.ERROR]


async def test_a_write_whose_read_back_hangs_is_sent_once_and_says_so(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HostileProxy,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch("custom_components.homevolt_local_api.api.client.REQUEST_DEADLINE", 0.3):
        entry = await setup_entry(hass, entry_for(sim, **{CONF_HOST: proxy.url}))
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
        )
        device = next(
            device
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            if device.via_device_id is None
        )
        # ems.json answers; schedule.json hangs past the deadline, so the read-back cannot end.
        proxy.hang_seconds = 2.0
        proxy.faults["/schedule.json"] = "hang"
        posts = proxy.requests["POST /console.json"]
        with pytest.raises(HomeAssistantError) as raised:
            await hass.services.async_call(
                DOMAIN, "charge", {"device_id": device.id, "power": 1000}, blocking=True
            )
        # Not "the battery did not carry out the command": it may well have.
        assert raised.value.translation_key == "outcome_unknown"
        assert proxy.requests["POST /console.json"] == posts + 1  # sent once, never again
        del proxy.faults["/schedule.json"]
        # The write had gone through, once.
        schedule = await entry.runtime_data.coordinator.client.schedule()
    newest = max(schedule.entries, key=lambda item: item.id)
    assert newest.mode is BatteryMode.INVERTER_CHARGE
    assert newest.limits.setpoint == 1000
    ours = [r for r in caplog.records if not r.name.startswith(("aiohttp", "asyncio"))]
    assert not [r for r in ours if r.exc_info and r.levelno >= logging.ERROR]
