"""A second, hostile look at parsed values: a system total never hides an unknown unit."""

import copy
from typing import Any

import pytest

from custom_components.homevolt_local_api.api.models import parse_ems
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
