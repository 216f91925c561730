"""A second, hostile look at writes: a limit change queued behind a mode change."""

import asyncio
from unittest.mock import patch

from homeassistant.core import HomeAssistant

from simulator.server import Simulator
from tests.integration.test_control_writes import (
    BATCH_SECONDS,
    CONSOLE,
    HoldingProxy,
    _action,
    _set_number,
    _setup,
    _spin,
    proxy,  # noqa: F401 - the holding proxy fixture
    sim,  # noqa: F401 - the simulator fixture
)


async def test_a_limit_change_during_a_mode_change_keeps_the_new_mode(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    proxy: HoldingProxy,  # noqa: F811
) -> None:
    entry = await _setup(hass, sim, proxy)
    await _action(hass, "set_mode", mode="grid_charge", setpoint=1000)
    client = entry.runtime_data.coordinator.client
    # The owner picks grid discharge; the device is slow to answer it ...
    slow = proxy.hold(CONSOLE, after_device=True)
    select = hass.async_create_task(
        hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": "grid_discharge"},
            blocking=True,
        )
    )
    await slow.arrived.wait()
    # ... and meanwhile moves the setpoint slider.
    with patch(BATCH_SECONDS, 0):
        number = hass.async_create_task(_set_number(hass, "power_setpoint", 1500))
        await _spin()  # the slider's change is now queued behind the mode's write
        assert client._write_lock.locked() and not number.done()
        slow.release.set()
        await asyncio.gather(select, number)
    # Both apply: the slider's change to the mode picked, not to the one before it.
    entry_ = sim.system.schedule[0]
    assert (entry_.type, entry_.params.get("setpoint")) == (4, 1500)
    assert hass.states.get("select.homevolt_battery_mode").state == "grid_discharge"
