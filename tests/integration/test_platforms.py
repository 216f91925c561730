"""What Home Assistant shows: values, units and signs, snapshots of every platform, diagnostics."""

import json
from pathlib import Path
from unittest.mock import patch

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PASSWORD, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.homevolt_local_api.api import HomevoltClient
from custom_components.homevolt_local_api.const import DOMAIN
from tests.integration.conftest import START, StartSim, control, entry_for, setup_entry

SCENARIOS = {
    "single_2026": {},
    "single_2025": {"firmware": "2025"},
    "cluster_no_password": {"units": 2, "password": None},
    "https": {"https": True},
}


def _value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


@pytest.mark.parametrize("firmware", ["2025", "2026"])
async def test_values_units_and_signs(
    hass: HomeAssistant, start_sim: StartSim, firmware: str
) -> None:
    sim = await start_sim(firmware=firmware)
    await control(sim, "unit", {"index": 0, "soc": 61.25})
    await setup_entry(hass, entry_for(sim))
    system = sim.system
    unit = system.units[0]
    assert _value(hass, "sensor.homevolt_state_of_charge") == pytest.approx(61.25, abs=0.01)
    state = hass.states.get("sensor.homevolt_state_of_charge")
    assert state.attributes["unit_of_measurement"] == "%"
    grid = _value(hass, "sensor.homevolt_grid_power")
    solar = _value(hass, "sensor.homevolt_solar_power")
    house = _value(hass, "sensor.homevolt_house_power")
    battery = _value(hass, "sensor.homevolt_battery_power")
    assert house == pytest.approx(system.house_power, abs=1)
    assert house > 0
    assert solar == pytest.approx(system.solar_power, abs=1)
    assert solar > 0  # noon in June
    assert grid == pytest.approx(system.grid_power, abs=1)
    assert battery == unit.power
    assert house == pytest.approx(grid + solar + battery, abs=2)
    assert hass.states.get("sensor.homevolt_grid_power").attributes["unit_of_measurement"] == "W"
    assert _value(hass, "sensor.homevolt_grid_import_power") == max(0, round(grid))
    assert _value(hass, "sensor.homevolt_grid_export_power") == max(0, -round(grid))
    assert _value(hass, "sensor.homevolt_grid_frequency") == pytest.approx(
        system.frequency, abs=0.001
    )
    assert _value(hass, "sensor.homevolt_temperature") == pytest.approx(unit.temperature, abs=0.1)
    assert 220 < _value(hass, "sensor.homevolt_voltage_l1") < 240
    energy = hass.states.get("sensor.homevolt_battery_energy_discharged")
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert energy.attributes["state_class"] == "total_increasing"
    assert float(energy.state) == pytest.approx(unit.produced_wh / 1000, abs=0.01)
    assert _value(hass, "sensor.homevolt_grid_energy_imported") == pytest.approx(
        system.grid.imported, abs=0.01
    )
    assert _value(hass, "sensor.homevolt_solar_energy_produced") == pytest.approx(
        system.solar.imported, abs=0.01
    )
    assert _value(hass, "sensor.homevolt_house_energy_consumed") == pytest.approx(
        system.load.exported, abs=0.01
    )
    usable = hass.states.get("sensor.homevolt_usable_capacity")
    assert usable.attributes["unit_of_measurement"] == "kWh"
    assert float(usable.state) == pytest.approx(
        unit.rated_cap * unit.usable_fraction / 1000, abs=0.01
    )
    assert _value(hass, "sensor.homevolt_state_of_health") == pytest.approx(
        100 * unit.usable_fraction, abs=0.05
    )
    assert hass.states.get("sensor.homevolt_schedule_source").state == "remote"
    assert hass.states.get("switch.homevolt_local_mode").state == "off"
    assert hass.states.get("sensor.homevolt_operating_state").state in (
        "idle",
        "charging",
        "discharging",
    )
    assert hass.states.get("sensor.homevolt_system_state").state == "running"
    assert _value(hass, "sensor.homevolt_battery_module_1_state_of_charge") == pytest.approx(
        61.25 + unit.modules[0].soc_offset, abs=0.01
    )
    assert _value(hass, "sensor.homevolt_grid_sensor_power") == pytest.approx(grid, abs=1)


async def test_charging_shows_negative_battery_power(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    sim = await start_sim()
    await control(sim, "unit", {"index": 0, "soc": 50.0})
    async with aiohttp.ClientSession() as session:
        client = HomevoltClient(sim.url, "homevolt", session=session)
        await client.set_local_mode(True)
        await client.charge(2500)
    await control(sim, "clock", {"advance": 10})
    await setup_entry(hass, entry_for(sim))
    assert _value(hass, "sensor.homevolt_battery_power") == -2500
    assert _value(hass, "sensor.homevolt_battery_charge_power") == 2500
    assert _value(hass, "sensor.homevolt_battery_discharge_power") == 0
    assert hass.states.get("select.homevolt_battery_mode").state == "inverter_charge"
    assert _value(hass, "number.homevolt_power_setpoint") == 2500
    assert hass.states.get("sensor.homevolt_schedule_source").state == "local"


async def test_cluster_totals(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(units=3, password=None)
    await control(sim, "unit", {"index": 2, "fault": True})
    await setup_entry(hass, entry_for(sim))
    units = sim.system.units
    capacity = sum(unit.rated_cap for unit in units)
    expected = sum(unit.soc * unit.rated_cap for unit in units) / capacity
    assert _value(hass, "sensor.homevolt_system_state_of_charge") == pytest.approx(
        expected, abs=0.01
    )
    assert _value(hass, "sensor.homevolt_unit_2_state_of_charge") == pytest.approx(
        units[1].soc, abs=0.01
    )
    assert hass.states.get("binary_sensor.homevolt_unit_3_fault").state == "on"
    assert hass.states.get("binary_sensor.homevolt_unit_1_fault").state == "off"
    assert hass.states.get("sensor.homevolt_unit_3_operating_state").state == "fault"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.CALENDAR,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.UPDATE,
    ],
)
async def test_snapshots(
    hass: HomeAssistant,
    start_sim: StartSim,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    scenario: str,
    platform: Platform,
) -> None:
    freezer.move_to(START)
    sim = await start_sim(**SCENARIOS[scenario])
    with patch("custom_components.homevolt_local_api.PLATFORMS", [platform]):
        entry = await setup_entry(hass, entry_for(sim, verify_ssl=False))
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_diagnostics_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, start_sim: StartSim
) -> None:
    sim = await start_sim(units=2)
    entry = await setup_entry(hass, entry_for(sim))
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert set(result) == {"entry", "raw", "parsed"}
    assert set(result["raw"]) == {
        "ems.json",
        "status.json",
        "schedule.json",
        "params.json",
        "ota_manifest.json",
    }
    assert result["parsed"]["ems"]["units"][0]["state_of_charge"] > 0
    text = repr(result)
    secrets = [
        "homevolt",  # the password
        sim.url.removeprefix("http://"),
        *(unit.ecu_hex for unit in sim.system.units),
        *(module.serial for unit in sim.system.units for module in unit.modules),
        "864145063230323",
        "234502102103229",
        "89457300000011033129",
        "Simulated",
        "18e829a7d731",
        "a46dd4fffee4dd49",
        "9035eafffe2b0d31",
        "firmware.invalid",  # the firmware manifest's URL
    ]
    for secret in secrets:
        assert secret not in text.replace("homevolt_local_api", ""), secret
    assert result["entry"]["data"]["password"] == "**REDACTED**"


PUBLISHED = Path("tests/fixtures/captures/martinwelen-2026-02-13")
# Identity and location in a real unit's status.json; the capture left the LTE cell empty, so
# the test fills it in the way a unit with a cell fix reports it.
IDENTITY = {
    "imei": "863740061259708",
    "imsi": "234502103177015",
    "iccid": "89457300000021770154",
    "ssid": "OurNetwork-IoT",
    "bssid": "e263da2a34c6",
    "ip": "192.168.70.12",
    "efr_id": "90395efffe802639",
    "cell_id": "2A1F0C3",
    "area_code": "4E21",
}


async def test_diagnostics_redact_a_real_units_identity_and_location(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    status = json.loads((PUBLISHED / "status.json").read_text())
    status["lte_status"] |= {"cell_id": IDENTITY["cell_id"], "area_code": IDENTITY["area_code"]}
    bodies = {
        "/ems.json": (PUBLISHED / "ems.json").read_text(),
        "/error_report.json": (PUBLISHED / "error_report.json").read_text(),
        "/status.json": json.dumps(status),
    }

    async def handler(request: web.Request) -> web.Response:
        if request.path in bodies:
            return web.Response(text=bodies[request.path], content_type="application/json")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="08d9b843ca48",
        data={CONF_HOST: f"http://127.0.0.1:{server.port}", CONF_PASSWORD: None},
    )
    await setup_entry(hass, entry)
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    raw_status = result["raw"]["status.json"]
    for block in ("wifi_status", "lte_status", "w868_status"):
        for key, value in raw_status[block].items():
            if key in IDENTITY:
                assert value == "**REDACTED**", key
    text = json.dumps(result)
    for key, value in IDENTITY.items():
        assert value not in text, key
    for serial in ("80000274099724441432", "9731192375880"):  # a module's serial, the unit id
        assert serial not in text, serial
    await server.close()
