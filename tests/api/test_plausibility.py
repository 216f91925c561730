"""Values outside any physical range become unknown, one at a time, with one warning each."""

from collections.abc import Callable
import copy
import logging
import math
from typing import Any

import pytest

from custom_components.homevolt_local_api.api import EmsData, HomevoltResponseError
from custom_components.homevolt_local_api.api.models import (
    Plausibility,
    parse_ems,
    parse_params,
    parse_schedule,
    parse_status,
)
from tests.conftest import load_fixture

HUGE = 10**400  # 400 digits


def _ems(mutate: Callable[[Any], None]) -> EmsData:
    payload = copy.deepcopy(load_fixture("ems_2026_cluster.json"))
    mutate(payload)
    return parse_ems(payload)


def _data(payload: Any, index: int = 0) -> Any:
    return payload["ems"][index]["ems_data"]


def _grid(payload: Any) -> Any:
    return next(sensor for sensor in payload["sensors"] if sensor.get("function") == "grid")


# (what the device sends, how to read it back, the value it had before)
CASES: list[tuple[str, Callable[[Any], None], Callable[[EmsData], Any]]] = [
    ("soc_avg -500", lambda p: _data(p).update(soc_avg=-500), lambda e: e.units[0].state_of_charge),
    (
        "soc_avg 20000",
        lambda p: _data(p).update(soc_avg=20000),
        lambda e: e.units[0].state_of_charge,
    ),
    (
        "soc_avg 1e308",
        lambda p: _data(p).update(soc_avg=1e308),
        lambda e: e.units[0].state_of_charge,
    ),
    (
        "module soc -300",
        lambda p: p["ems"][0]["bms_data"][0].update(soc=-300),
        lambda e: e.units[0].modules[0].state_of_charge,
    ),
    ("frequency 500", lambda p: _data(p).update(frequency=500), lambda e: e.units[0].frequency),
    ("frequency 1e308", lambda p: _data(p).update(frequency=1e308), lambda e: e.units[0].frequency),
    ("sys_temp 30000", lambda p: _data(p).update(sys_temp=30000), lambda e: e.units[0].temperature),
    ("power 1e308", lambda p: _data(p).update(power=1e308), lambda e: e.units[0].power),
    ("power 400 digits", lambda p: _data(p).update(power=HUGE), lambda e: e.units[0].power),
    (
        "power 10x rated",
        lambda p: _data(p).update(power=-60000),
        lambda e: e.units[0].charge_power,
    ),
    (
        "grid energy_imported 1e308",
        lambda p: _grid(p).update(energy_imported=1e308),
        lambda e: e.grid_imported_energy,
    ),
    (
        "counter negative",
        lambda p: _data(p).update(energy_produced=-5),
        lambda e: e.units[0].discharged_energy,
    ),
    (
        "grid total_power 400 digits",
        lambda p: _grid(p).update(total_power=-HUGE),
        lambda e: e.grid_power,
    ),
    (
        "cycle_count 400 digits",
        lambda p: p["ems"][0]["bms_data"][0].update(cycle_count=HUGE),
        lambda e: e.units[0].modules[0].cycle_count,
    ),
    (
        "voltage 1e308",
        lambda p: p["ems"][0]["ems_voltage"].update(l1=1e308),
        lambda e: e.units[0].voltages.l1 if e.units[0].voltages else None,
    ),
    ("ts 400 digits", lambda p: p.update(ts=HUGE), lambda e: e.timestamp),
    (
        "rated_capacity 1e308",
        lambda p: p["ems"][0]["ems_info"].update(rated_capacity=1e308),
        lambda e: e.units[0].rated_capacity,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "read"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_implausible_value_is_unknown_alone(
    mutate: Callable[[Any], None],
    read: Callable[[EmsData], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = parse_ems(load_fixture("ems_2026_cluster.json"))
    assert read(good) is not None
    bad = _ems(mutate)
    assert read(bad) is None
    # Everything else still reads as before.
    assert bad.units[1] == good.units[1]
    assert bad.units[0].ecu_id == good.units[0].ecu_id
    assert caplog.text.count("Ignoring ems.json") == 1


def test_system_totals_never_overflow() -> None:
    ems = _ems(lambda p: _data(p).update(soc_avg=1e308))
    # A running unit's SOC is unknown: so is the system's (the other unit's alone is wrong).
    assert ems.state_of_charge is None
    for name in dir(EmsData):
        if isinstance(getattr(EmsData, name), property):
            value = getattr(ems, name)
            if isinstance(value, float):
                assert math.isfinite(value), name


def test_one_warning_per_field_until_it_reads_well(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    checker = Plausibility()
    good = load_fixture("ems_2026_cluster.json")
    bad = copy.deepcopy(good)
    _data(bad).update(soc_avg=20000, frequency=500)
    for payload in (bad, bad, bad):
        parse_ems(payload, checker)
    assert caplog.text.count("soc_avg") == 1
    assert caplog.text.count("frequency") == 1
    assert checker.implausible == {
        "ems.json.ems[0].ems_data.soc_avg",
        "ems.json.ems[0].ems_data.frequency",
    }
    parse_ems(good, checker)
    assert checker.implausible == frozenset()
    parse_ems(bad, checker)
    assert caplog.text.count("soc_avg") == 2


def test_frequency_zero_means_not_measured(caplog: pytest.LogCaptureFixture) -> None:
    ems = _ems(lambda p: _data(p).update(frequency=0))
    assert ems.units[0].frequency is None
    assert "Ignoring" not in caplog.text


@pytest.mark.parametrize(
    "up_time", [1e308, 1e16, -5, HUGE, float("inf")], ids=["1e308", "1e16", "-5", "400", "inf"]
)
def test_impossible_uptime_is_unknown(up_time: float) -> None:
    payload = copy.deepcopy(load_fixture("status_2026.json"))
    payload["up_time"] = up_time
    status = parse_status(payload)
    assert status.uptime is None
    assert status.esp_firmware == "3056-1a3446ed"


def test_minimum_soc_parameter_out_of_range(caplog: pytest.LogCaptureFixture) -> None:
    payload = [
        {"name": "battery_min_soc", "type": "int", "value": [250], "default": [10]},
    ]
    params = parse_params(payload)
    assert params.has_minimum_soc
    assert params.minimum_soc is None
    assert "battery_min_soc" in caplog.text
    payload[0]["value"] = [20]
    assert parse_params(payload).minimum_soc == 20


def test_schedule_limits_and_times_out_of_range() -> None:
    payload = copy.deepcopy(load_fixture("schedule_local.json"))
    entry = payload["schedule"][0]
    entry.update({"min": 250, "max": HUGE, "to": 1e308})
    entry.setdefault("params", {})["setpoint"] = 1e308
    parsed = parse_schedule(payload).entries[0]
    assert parsed.limits.min_soc is None
    assert parsed.limits.max_soc is None
    assert parsed.limits.setpoint is None
    assert parsed.end is None


@pytest.mark.parametrize("value", [HUGE, 1e308, "NaN", "inf"])
def test_ids_and_types_out_of_range_are_response_errors(value: Any) -> None:
    payload = copy.deepcopy(load_fixture("schedule_local.json"))
    payload["schedule"][0]["id"] = value
    with pytest.raises(HomevoltResponseError, match=r"schedule.json.schedule\[0\].id"):
        parse_schedule(payload)
