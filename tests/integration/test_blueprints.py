"""The automation blueprints: loaded by Home Assistant's blueprint integration, and run for real."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
import re
import shutil
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import Blueprint
from homeassistant.components.trace.const import DATA_TRACE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import START, StartSim, control, entry_for, setup_entry

ROOT = Path(__file__).parents[2]
BLUEPRINTS = ROOT / "blueprints" / "automation" / "homevolt_local_api"
ZONE = "Europe/Stockholm"
# 10:00 UTC is 12:00 in Stockholm in June: the noon price slot.
NOON = START.astimezone(ZoneInfo(ZONE))


@pytest.fixture
async def blueprint_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Home Assistant with our blueprints in its own (temporary) configuration folder."""
    hass.config.config_dir = str(tmp_path)
    await hass.config.async_update(time_zone=ZONE)
    target = tmp_path / "blueprints" / "automation" / "homevolt_local_api"
    await hass.async_add_executor_job(shutil.copytree, BLUEPRINTS, target)
    return hass


async def test_every_blueprint_loads_with_named_inputs_and_selectors(
    blueprint_hass: HomeAssistant,
) -> None:
    hass = blueprint_hass
    assert await async_setup_component(hass, "automation", {})
    loaded = await async_get_blueprints(hass).async_get_blueprints()
    expected = {f"homevolt_local_api/{path.name}" for path in BLUEPRINTS.glob("*.yaml")}
    assert set(loaded) == expected
    assert {"cheapest_hours.yaml", "peak_hours.yaml", "reserve.yaml"} <= {
        path.name for path in BLUEPRINTS.glob("*.yaml")
    }
    for path, blueprint in loaded.items():
        assert isinstance(blueprint, Blueprint), f"{path}: {blueprint}"
        assert blueprint.domain == "automation"
        assert blueprint.inputs, path
        for name, spec in blueprint.inputs.items():
            assert spec and spec.get("name"), f"{path}: input {name} has no name"
            assert spec.get("selector"), f"{path}: input {name} has no selector"
        # The automation it makes is valid too (triggers, conditions, actions), filled in as the
        # form requires: every input without a default.
        required = {
            name: "sensor.prices" if "entity" in spec["selector"] else "0" * 32
            for name, spec in blueprint.inputs.items()
            if "default" not in spec
        }
        config = {"id": path, "use_blueprint": {"path": path, "input": required}}
        assert await async_validate_config_item(hass, path, config), path


def test_readme_links_every_blueprint_for_import() -> None:
    manifest = (ROOT / "custom_components" / DOMAIN / "manifest.json").read_text()
    repository = re.search(r'"documentation": "https://github.com/([^"]+)"', manifest)
    assert repository is not None
    readme = (ROOT / "README.md").read_text()
    for path in BLUEPRINTS.glob("*.yaml"):
        raw = (
            f"https://raw.githubusercontent.com/{repository[1]}/main/"
            f"blueprints/automation/homevolt_local_api/{path.name}"
        )
        link = (
            "https://my.home-assistant.io/create-link/?redirect=blueprint_import"
            f"&blueprint_url={raw.replace(':', '%3A').replace('/', '%2F')}"
        )
        assert link in readme, path.name


def _hourly(cheapest_hour: int) -> list[float]:
    """A day of hourly prices whose cheapest hour (local time) is `cheapest_hour`."""
    return [0.05 if hour == cheapest_hour else 1.0 + hour / 100 for hour in range(24)]


async def _price_entity(hass: HomeAssistant, shape: str, cheap: bool) -> dict[str, Any]:
    """A price entity in one of the supported shapes; returns the blueprint's price inputs."""
    hour = NOON.hour if cheap else NOON.hour + 3
    prices = _hourly(hour)
    midnight = NOON.replace(hour=0)
    if shape == "nordpool":
        # As Nord Pool's integration holds them: aware datetimes in the attributes.
        slots = [
            {
                "start": midnight + timedelta(hours=index),
                "end": midnight + timedelta(hours=index + 1),
                "value": price,
            }
            for index, price in enumerate(prices)
        ]
        hass.states.async_set("sensor.nordpool", str(prices[NOON.hour]), {"raw_today": slots})
        return {"price_entity": "sensor.nordpool"}
    if shape == "template_list":
        config = {
            "template": [
                {
                    "sensor": [
                        {
                            "name": "Spot price",
                            "state": f"{prices[NOON.hour]}",
                            "attributes": {"prices": f"{{{{ {prices} }}}}"},
                        }
                    ]
                }
            ]
        }
        assert await async_setup_component(hass, "template", config)
        await hass.async_block_till_done()
        assert hass.states.get("sensor.spot_price").attributes["prices"] == prices
        return {"price_entity": "sensor.spot_price", "list_attribute": "prices"}
    hass.states.async_set("sensor.tibber_price_level", "VERY_CHEAP" if cheap else "EXPENSIVE")
    return {"price_entity": "sensor.tibber_price_level"}


async def _battery_device(hass: HomeAssistant, sim: Simulator, entry_id: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, sim.system.units[0].ecu_hex), entry_id
    )
    assert device is not None
    return device.id


async def _battery_with_automation(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    blueprint: str,
    inputs: dict[str, Any],
    *,
    setup_at: datetime = START - timedelta(minutes=1),
    sim_start: datetime = START,
) -> Simulator:
    """The simulated battery in local mode, and one automation made from `blueprint`."""
    freezer.move_to(setup_at)
    sim = await start_sim(start=sim_start)
    entry = await setup_entry(hass, entry_for(sim))
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.homevolt_local_mode"}, blocking=True
    )
    automation = {
        "id": blueprint.removesuffix(".yaml"),
        "alias": blueprint.removesuffix(".yaml"),
        "use_blueprint": {
            "path": f"homevolt_local_api/{blueprint}",
            "input": {"battery": await _battery_device(hass, sim, entry.entry_id), **inputs},
        },
    }
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    await hass.async_block_till_done()
    sim.requests.clear()
    return sim


async def _at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done(wait_background_tasks=True)


def _runs(hass: HomeAssistant, automation: str) -> int:
    """How often the automation was triggered (its traces), whatever its conditions said."""
    buckets = hass.data[DATA_TRACE].get(f"automation.{automation}")
    return 0 if buckets is None else len(buckets.runs)


async def _stop_automations(hass: HomeAssistant) -> None:
    # Their quarter-hour timers must not outlive the test.
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


@pytest.mark.parametrize("shape", ["nordpool", "template_list", "tibber_level"])
@pytest.mark.parametrize("cheap", [True, False], ids=["cheapest_hour", "expensive_hour"])
async def test_cheapest_hours_charges_the_battery_in_the_cheapest_hour_only(
    blueprint_hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    shape: str,
    cheap: bool,
) -> None:
    hass = blueprint_hass
    inputs = await _price_entity(hass, shape, cheap)
    sim = await _battery_with_automation(
        hass,
        start_sim,
        freezer,
        "cheapest_hours.yaml",
        {"hours": 1, "charge_power": 2500, "target_soc": 80, **inputs},
    )
    # The quarter-hour trigger at 12:00 local time.
    await _at(hass, freezer, START)
    if shape != "tibber_level":
        # A quarter later the hourly slot is the same: nothing is sent again.
        await _at(hass, freezer, START + timedelta(minutes=15))
    await _stop_automations(hass)
    # It ran at 12:00 (and a quarter later), and decided.
    assert _runs(hass, "cheapest_hours") == (1 if shape == "tibber_level" else 2)
    state = await control(sim, "state", {})
    commands = sim.requests["POST /console.json"]
    if not cheap:
        assert commands == 0
        assert state["active_type"] != 1
        return
    assert commands == 1
    assert state["active_type"] == 1  # inverter charge
    window = sim.system.active_entry()
    assert window is not None
    assert window.params.get("setpoint") == 2500 and window.max_soc == 80
    # The window ends with the price slot: 13:00 local (a level holds for its quarter hour).
    slot = timedelta(minutes=15) if shape == "tibber_level" else timedelta(hours=1)
    assert datetime.fromtimestamp(window.end, NOON.tzinfo) == NOON + slot


@pytest.mark.parametrize("per_hour", [1, 4], ids=["hourly", "quarter_hourly"])
async def test_cheapest_hours_on_the_day_the_clocks_go_back(
    blueprint_hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    per_hour: int,
) -> None:
    """That day has 25 hours: a plain list holds 25 hourly (100 quarter-hourly) prices."""
    hass = blueprint_hass
    # 2026-10-25 in Stockholm: 20:00 CET (19:00 UTC) is the 21st hour after midnight.
    moment = datetime(2026, 10, 25, 19, 0, tzinfo=UTC)
    hourly = [0.05 if hour == 21 else 1.0 + hour / 100 for hour in range(25)]
    prices = [price for price in hourly for _ in range(per_hour)]
    hass.states.async_set("sensor.spot_price", "1.0", {"prices": prices})
    sim = await _battery_with_automation(
        hass,
        start_sim,
        freezer,
        "cheapest_hours.yaml",
        {"hours": 1, "price_entity": "sensor.spot_price", "list_attribute": "prices"},
        setup_at=moment - timedelta(minutes=1),
        sim_start=moment,
    )
    await _at(hass, freezer, moment)
    await _stop_automations(hass)
    assert sim.requests["POST /console.json"] == 1
    window = sim.system.active_entry()
    assert window is not None
    assert datetime.fromtimestamp(window.end, UTC) == moment + timedelta(hours=1) / per_hour


@pytest.mark.parametrize("export", [False, True], ids=["discharge", "export"])
async def test_peak_hours_discharges_in_the_most_expensive_hour(
    blueprint_hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    export: bool,
) -> None:
    hass = blueprint_hass
    prices = [2.0 if hour == NOON.hour else 1.0 for hour in range(24)]
    hass.states.async_set("sensor.prices", "2.0", {"today": prices})
    sim = await _battery_with_automation(
        hass,
        start_sim,
        freezer,
        "peak_hours.yaml",
        {
            "price_entity": "sensor.prices",
            "list_attribute": "today",
            "hours": 1,
            "discharge_power": 2000,
            "minimum_soc": 30,
            "export": export,
        },
        setup_at=START - timedelta(minutes=61),
    )
    await _at(hass, freezer, START - timedelta(hours=1))
    assert _runs(hass, "peak_hours") == 1
    assert sim.requests["POST /console.json"] == 0  # 11:00 is not a peak hour
    await _at(hass, freezer, START)
    await _stop_automations(hass)
    assert sim.requests["POST /console.json"] == 1
    window = sim.system.active_entry()
    assert window is not None
    assert window.type == (4 if export else 2)  # grid discharge or inverter discharge
    assert window.params.get("setpoint") == 2000 and window.min_soc == 30
    assert datetime.fromtimestamp(window.end, NOON.tzinfo) == NOON + timedelta(hours=1)


async def test_reserve_raises_minimum_and_charges_then_releases(
    blueprint_hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    hass = blueprint_hass
    hass.states.async_set("binary_sensor.storm_warning", "off")
    sim = await _battery_with_automation(
        hass,
        start_sim,
        freezer,
        "reserve.yaml",
        {
            "minimum_soc_entity": "number.homevolt_minimum_soc",
            "warning": "binary_sensor.storm_warning",
            "reserve_soc": 60,
            "normal_soc": 15,
            "target_soc": 95,
            "charge_power": 4000,
        },
    )
    hass.states.async_set("binary_sensor.storm_warning", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.system.param("battery_min_soc") == 60
    window = sim.system.active_entry()
    assert window is not None
    assert (window.type, window.params.get("setpoint"), window.max_soc) == (1, 4000, 95)
    assert hass.states.get("number.homevolt_minimum_soc").state == "60.0"

    hass.states.async_set("binary_sensor.storm_warning", "off")
    await hass.async_block_till_done(wait_background_tasks=True)
    await _stop_automations(hass)
    assert sim.system.param("battery_min_soc") == 15
    window = sim.system.active_entry()
    assert window is not None and window.type == 0  # idle


RESERVE = {
    "minimum_soc_entity": "number.homevolt_minimum_soc",
    "warning": "binary_sensor.storm_warning",
    "reserve_soc": 60,
    "normal_soc": 15,
    "target_soc": 95,
    "charge_power": 4000,
}


async def test_reserve_released_when_the_warning_ends_after_being_unavailable(
    blueprint_hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """A warning sensor that drops out while on and comes back off still ends the reserve."""
    hass = blueprint_hass
    hass.states.async_set("binary_sensor.storm_warning", "off")
    sim = await _battery_with_automation(hass, start_sim, freezer, "reserve.yaml", RESERVE)
    for state in ("on", "unavailable", "off"):
        hass.states.async_set("binary_sensor.storm_warning", state)
        await hass.async_block_till_done(wait_background_tasks=True)
    await _stop_automations(hass)
    assert sim.system.param("battery_min_soc") == 15
    window = sim.system.active_entry()
    assert window is not None
    assert window.type == 0  # idle


async def test_reserve_not_touched_when_the_warning_comes_back_off(
    blueprint_hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """A warning sensor that was off, dropped out and is off again (a restart): nothing sent."""
    hass = blueprint_hass
    hass.states.async_set("binary_sensor.storm_warning", "off")
    sim = await _battery_with_automation(hass, start_sim, freezer, "reserve.yaml", RESERVE)
    for state in ("unavailable", "off"):
        hass.states.async_set("binary_sensor.storm_warning", state)
        await hass.async_block_till_done(wait_background_tasks=True)
    await _stop_automations(hass)
    assert sim.requests["POST /console.json"] == 0
    assert sim.requests["POST /params.json"] == 0
