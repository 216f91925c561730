"""A second, hostile look at parsed values: a system total never hides an unknown unit."""

import copy
from typing import Any

import pytest

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.models import (
    parse_ems,
    parse_ota_manifest,
    parse_schedule,
)
from tests.conftest import load_fixture


def _ems(**ems_data: Any) -> Any:
    payload = copy.deepcopy(load_fixture("ems_2026_cluster.json"))
    payload["ems"][0]["ems_data"].update(ems_data)
    return parse_ems(payload)


@pytest.mark.parametrize("soc_avg", [20000, -500, 1e308])
def test_system_soc_is_unknown_while_a_running_unit_reads_implausibly(soc_avg: float) -> None:
    good = _ems()
    assert not good.units[0].is_faulted
    assert good.state_of_charge is not None
    # The other unit's SOC alone is not the system's: 0.68 % and 1.94 % must not read 1.94 %.
    assert _ems(soc_avg=soc_avg).state_of_charge is None


@pytest.mark.parametrize("power", [1e308, 10**400, -60000])
def test_system_power_is_unknown_while_a_running_unit_reads_implausibly(power: float) -> None:
    assert _ems().battery_power is not None
    bad = _ems(power=power)
    assert bad.battery_power is None
    assert bad.battery_charge_power is None
    assert bad.battery_discharge_power is None


def test_a_unit_in_fault_without_readings_is_still_left_out() -> None:
    payload = copy.deepcopy(load_fixture("ems_2026_cluster.json"))
    unit = payload["ems"][1]
    unit["ems_data"].update(state_str="Fault")
    del unit["ems_data"]["soc_avg"]
    del unit["ems_data"]["power"]
    ems = parse_ems(payload)
    assert ems.units[1].is_faulted
    assert ems.state_of_charge == pytest.approx(ems.units[0].state_of_charge)
    assert ems.battery_power == pytest.approx(ems.units[0].power)


@pytest.mark.parametrize("field", ["soc_avg", "power", "sys_temp"])
def test_negative_zero_reads_as_zero(field: str) -> None:
    ems = _ems(**{field: -0.0})
    value = {"soc_avg": ems.units[0].state_of_charge, "power": ems.units[0].power}.get(
        field, ems.units[0].temperature
    )
    assert value == 0
    assert str(value) == "0.0"  # shown as "0", never "-0"


# A firmware that sends one measurement as text or as a boolean loses that value, not the
# whole answer (and with it every entity of ems.json).
@pytest.mark.parametrize(
    ("field", "value"),
    [("soc_avg", True), ("soc_avg", "12.5"), ("power", "12.5"), ("sys_temp", False)],
)
def test_a_measurement_of_the_wrong_type_is_unknown_alone(
    field: str, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    good = _ems()
    bad = _ems(**{field: value})
    read = {
        "soc_avg": lambda ems: ems.units[0].state_of_charge,
        "power": lambda ems: ems.units[0].power,
        "sys_temp": lambda ems: ems.units[0].temperature,
    }[field]
    assert read(good) is not None
    assert read(bad) is None
    assert bad.units[1] == good.units[1]
    assert bad.grid_power == good.grid_power
    assert caplog.text.count(f"ems_data.{field}") == 1


def test_a_counter_of_the_wrong_type_is_unknown_alone() -> None:
    payload = copy.deepcopy(load_fixture("ems_2026_cluster.json"))
    payload["ems"][0]["bms_data"][0]["cycle_count"] = "12"
    ems = parse_ems(payload)
    assert ems.units[0].modules[0].cycle_count is None
    assert ems.units[0].state_of_charge is not None


def test_ids_of_the_wrong_type_are_still_refused() -> None:
    payload = copy.deepcopy(load_fixture("schedule_local.json"))
    payload["schedule"][0]["id"] = "1"
    with pytest.raises(HomevoltResponseError):
        parse_schedule(payload)


def test_an_update_progress_as_text_is_unknown_alone() -> None:
    payload = copy.deepcopy(load_fixture("ota_manifest_doc.json"))
    good = parse_ota_manifest(payload)
    payload["updates"][0]["progress_percent"] = "50"
    (update, *others) = parse_ota_manifest(payload)
    assert update.progress is None
    assert update.current_version == good[0].current_version
    assert others == list(good[1:])


@pytest.mark.parametrize(("soc_avg", "percent"), [(0, 0.0), (10000, 100.0), (-0.0, 0.0)])
def test_soc_at_its_very_ends_is_shown(soc_avg: float, percent: float) -> None:
    ems = _ems(soc_avg=soc_avg)
    assert ems.units[0].state_of_charge == percent
    assert ems.state_of_charge is not None


def test_a_timestamp_in_2100_is_kept_and_one_past_2200_is_not() -> None:
    payload = copy.deepcopy(load_fixture("ems_2026_cluster.json"))
    payload["ts"] = 4102444800  # 2100-01-01, seconds
    assert parse_ems(payload).timestamp is not None
    payload["ts"] = 7258118400 * 1000  # 2200-01-01, milliseconds
    assert parse_ems(payload).timestamp is not None
    payload["ts"] = 7258118401 * 1000
    assert parse_ems(payload).timestamp is None
