"""Load on the device and latency of control, measured through a real Home Assistant core."""

from datetime import timedelta
import statistics
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.integration.conftest import StartSim, control, entry_for, setup_entry


async def test_requests_per_hour(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    for _ in range(240):
        freezer.tick(timedelta(seconds=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    counts = dict(sorted(sim.requests.items()))
    print("\nrequests to the device in one hour at default settings:")
    for name, count in counts.items():
        print(f"  {name:26} {count:4d}")
    print(f"  {'total':26} {sum(counts.values()):4d}  (Home Assistant core's homevolt: 480)")


async def test_action_to_state_latency(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(start=None)
    await control(sim, "unit", {"index": 0, "soc": 50.0})
    await setup_entry(hass, entry_for(sim))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    samples: list[float] = []
    for option in ["inverter_charge", "idle"] * 10:
        began = time.perf_counter()
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": option},
            blocking=True,
        )
        state: Any = hass.states.get("select.homevolt_battery_mode")
        assert state.state == option
        samples.append((time.perf_counter() - began) * 1000)
    print(
        "\naction -> updated state (select battery mode; command + read-back, simulator on "
        f"loopback): median {statistics.median(samples):.1f} ms, "
        f"max {max(samples):.1f} ms over {len(samples)} actions"
    )
