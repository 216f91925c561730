"""Parsing every endpoint: the vendor's examples, older firmware, and broken payloads."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.homevolt_local_api.api import (
    BatteryMode,
    HomevoltResponseError,
    OtaState,
    ScheduleSource,
    SensorFunction,
)
from custom_components.homevolt_local_api.api.models import (
    normalize_ecu_id,
    parse_ems,
    parse_error_report,
    parse_ota_manifest,
    parse_params,
    parse_schedule,
    parse_status,
)
from tests.conftest import load_fixture


def test_documented_cluster_units() -> None:
    ems = parse_ems(load_fixture("ems_2026_cluster.json"))
    assert [unit.ecu_id for unit in ems.units] == ["68b6b34cda94", "188b0ec6106c"]
    leader, follower = ems.units
    assert ems.leader is leader
    assert leader.is_leader and leader.host is None
    assert not follower.is_leader
    assert follower.host == "[2001:9B1:4447:F200:1A8B:EFF:FEC6:106C]:5259"
    assert ems.is_cluster
    # Centi-percent: 68 is 0.68 %, consistent with the unit's own "under SOC min" warning.
    assert leader.state_of_charge == pytest.approx(0.68)
    assert leader.warnings == ("EMS_WARNING_UNDER_SOC_MIN_WARNING",)
    assert leader.frequency == pytest.approx(49.998)
    assert leader.temperature == pytest.approx(20.5)
    assert leader.power == -7
    assert leader.charge_power == 7 and leader.discharge_power == 0
    assert leader.voltages is not None
    assert leader.voltages.l1 == pytest.approx(230.5)
    assert leader.voltages.l3_l1 == pytest.approx(403.2)
    assert leader.rated_capacity == 13304 and leader.rated_power == 6000
    assert leader.usable_capacity == 10817
    assert leader.state_of_health == pytest.approx(100 * 10817 / 13304)
    assert leader.discharged_energy == pytest.approx(3602.110)
    assert leader.charged_energy == pytest.approx(4050.829)
    assert leader.model == "B6" and leader.firmware == "v31.4"
    assert leader.inverter_serial_number == "F412FAE4F3EC"
    assert leader.system_state == "Throttled" and leader.operating_state == "idle"
    assert leader.available_discharge_energy == 74
    module = leader.modules[1]
    assert module.serial_number == "80000274089924410060"
    assert module.state_of_charge == pytest.approx(0.67)
    assert module.min_temperature == pytest.approx(21.4)
    assert module.max_temperature == pytest.approx(23.7)
    assert module.cycle_count == 271
    assert module.energy_available == 36
    assert module.rated_capacity == 6652


def test_documented_cluster_totals_are_derived_from_units() -> None:
    ems = parse_ems(load_fixture("ems_2026_cluster.json"))
    # Capacity-weighted SOC of 0.68 % and 1.94 % on equal units; matches "aggregated" (131).
    assert ems.state_of_charge == pytest.approx(1.31)
    assert ems.battery_power == -10
    assert ems.battery_charge_power == 10 and ems.battery_discharge_power == 0
    assert ems.rated_capacity == 26608 and ems.rated_power == 12000
    assert ems.usable_capacity == 10817 + 12216
    assert ems.available_charge_power == 12056
    assert ems.battery_discharged_energy == pytest.approx(3602.110 + 1634.915)
    assert ems.battery_charged_energy == pytest.approx(4050.829 + 2126.913)


def test_documented_sensors() -> None:
    ems = parse_ems(load_fixture("ems_2026_cluster.json"))
    functions = [sensor.function for sensor in ems.sensors]
    assert functions.count(SensorFunction.BATTERY) == 2
    grid = ems.sensor("grid_a46dd4fffee4dd49")
    assert grid is not None
    assert grid.node_id == 1
    assert grid.phases[0].current == pytest.approx(10.16)
    assert grid.phases[1].power_factor == pytest.approx(0.34)
    assert grid.timestamp == datetime(2025, 12, 19, 7, 52, 58, 131000, tzinfo=UTC)
    assert ems.grid_power == 3282
    assert ems.grid_import_power == 3282 and ems.grid_export_power == 0
    assert ems.solar_power == 6
    # House = -(load total_power).
    assert ems.house_power == 3278
    assert ems.grid_imported_energy == pytest.approx(8337.99)
    assert ems.grid_exported_energy == pytest.approx(7485)
    assert ems.solar_produced_energy == pytest.approx(13292.32)
    assert ems.house_consumed_energy == pytest.approx(14019.34)
    # timestamp_str is the device's local time: one hour ahead of UTC in December (Sweden).
    assert ems.device_utc_offset == timedelta(hours=1)


def test_older_firmware() -> None:
    ems = parse_ems(load_fixture("ems_2025.json"))
    unit = ems.leader
    assert unit.ecu_id == "34d9b843ca48"  # 58109703998024, an integer on the wire
    assert unit.state_of_charge == pytest.approx(24.37)
    assert unit.temperature == pytest.approx(22.6)
    assert unit.frequency == pytest.approx(49.978)
    assert unit.voltages is not None
    assert unit.voltages.l1 == pytest.approx(239.0) and unit.voltages.l1_l2 == pytest.approx(414.1)
    assert unit.state_of_health == pytest.approx(100 * 6108 / 6652)
    assert unit.modules[0].energy_available == 1496
    assert not ems.is_cluster
    # CT items keyed by "type"; the virtual load's phases are 0 but total_power is right.
    assert ems.house_power == 3139
    assert ems.grid_power == 3130
    assert ems.solar_power == 0
    load = next(s for s in ems.sensors if s.function is SensorFunction.LOAD)
    grid = next(s for s in ems.sensors if s.function is SensorFunction.GRID)
    assert load.frequency is None  # 0 means "not measured"
    # Seconds for clamps, milliseconds for the virtual load: both land on the same day.
    assert load.timestamp is not None and grid.timestamp is not None
    assert abs(load.timestamp - grid.timestamp) < timedelta(seconds=5)
    unspecified = next(s for s in ems.sensors if s.function is SensorFunction.UNSPECIFIED)
    assert unspecified.timestamp is None and not unspecified.available
    assert ems.device_utc_offset is None


def test_sensor_order_does_not_matter() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    payload["sensors"].reverse()
    ems = parse_ems(payload)
    assert ems.grid_power == 3282 and ems.solar_power == 6 and ems.house_power == 3278


def test_house_power_from_balance_without_load_sensor() -> None:
    payload = load_fixture("ems_2025.json")
    payload["sensors"] = [s for s in payload["sensors"] if s["type"] != "load"]
    ems = parse_ems(payload)
    # grid 3130 + solar 0 + battery -9
    assert ems.house_power == 3121


def test_unavailable_clamp_gives_unknown_power() -> None:
    payload = load_fixture("ems_2025.json")
    payload["sensors"][1]["available"] = False
    ems = parse_ems(payload)
    assert ems.grid_power is None
    assert ems.grid_import_power is None
    assert ems.house_power == 3139


def test_soc_falls_back_to_mean_without_capacities() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    payload["ems"][0]["ems_info"].pop("rated_capacity")
    payload["ems"][1]["ems_data"]["soc_avg"] = 5000
    ems = parse_ems(payload)
    assert ems.state_of_charge == pytest.approx((0.68 + 50) / 2)
    assert ems.rated_capacity is None
    assert ems.state_of_health is None


def test_status() -> None:
    status = parse_status(load_fixture("status_2026.json"))
    assert status.uptime == timedelta(milliseconds=335974780)
    assert status.esp_firmware == "3056-1a3446ed"
    assert status.radio_firmware == "804-4190150b"
    assert status.wifi_rssi == -43
    assert status.lte_rssi == -65
    assert status.cloud_connected is True and status.ota_in_progress is False
    older = parse_status(load_fixture("status_2025.json"))
    assert older.uptime == timedelta(milliseconds=308028358)
    assert older.lte_rssi is None


def test_schedule_from_the_cloud() -> None:
    schedule = parse_schedule(load_fixture("schedule_remote.json"))
    assert schedule.local_mode is False
    assert schedule.source is ScheduleSource.REMOTE
    assert [entry.mode for entry in schedule.entries] == [
        BatteryMode.INVERTER_CHARGE,
        BatteryMode.GRID_CHARGE,
        BatteryMode.INVERTER_CHARGE,
    ]
    first = schedule.entries[0]
    assert first.start == datetime.fromtimestamp(1766131200, UTC)
    assert first.limits.setpoint == 6000
    during_second = datetime.fromtimestamp(1766132200, UTC)
    active = schedule.active_entry(during_second)
    assert active is not None and active.id == 2
    assert schedule.next_change(during_second) == datetime.fromtimestamp(1766133000, UTC)
    assert schedule.active_entry(datetime.fromtimestamp(1766134800, UTC)) is None
    assert schedule.next_change(datetime.fromtimestamp(1766134800, UTC)) is None


def test_schedule_written_locally() -> None:
    schedule = parse_schedule(load_fixture("schedule_local.json"))
    assert schedule.source is ScheduleSource.LOCAL
    first, second = schedule.entries
    assert (first.limits.min_soc, first.limits.max_soc) == (20, 90)
    assert second.limits.import_limit == 5000 and second.limits.min_soc is None
    assert schedule.entry(2) is second and schedule.entry(9) is None


def test_schedule_open_ended_and_unknown_type() -> None:
    schedule = parse_schedule(
        {
            "local_mode": True,
            "schedule_id": "Manual Schedule",
            "schedule": [
                {"id": 1, "from": 1766131200, "to": 0, "type": 42, "params": {"offline": True}}
            ],
        }
    )
    entry = schedule.entries[0]
    assert entry.end is None and entry.mode is None and entry.limits.offline
    assert schedule.active_entry(datetime(2030, 1, 1, tzinfo=UTC)) is entry


def test_params() -> None:
    params = parse_params(load_fixture("params_doc.json"))
    assert len(params) == 3
    assert "smart_cli_mode" in params
    assert params["smart_cli_mode"].scalar is True
    assert params["smart_cli_mode"].default == (False,)
    assert params.get("battery_min_soc") is None


def test_error_report() -> None:
    report = parse_error_report(load_fixture("error_report.json"))
    assert [item.name for item in report] == ["power_24v", "ledstrip_detected"]
    assert not any(item.active for item in report)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("ems"), "ems.json.ems: expected a list, got null"),
        (lambda p: p.__setitem__("ems", []), "ems.json.ems: expected at least one unit"),
        (
            lambda p: p["ems"][1]["ems_data"].pop("power"),
            "ems.json.ems[1].ems_data.power: expected a number, got null",
        ),
        (
            lambda p: p["ems"][0].__setitem__("ecu_id", 1.5),
            "ems.json.ems[0].ecu_id: expected an identifier, got a number",
        ),
        (
            lambda p: p["sensors"][2].__setitem__("total_power", None),
            "ems.json.sensors[2].total_power: expected a number, got null",
        ),
        (
            lambda p: p["ems"][0].__setitem__("bms_data", {}),
            "ems.json.ems[0].bms_data: expected a list, got an object",
        ),
    ],
)
def test_bad_ems_names_the_field(mutate: Any, message: str) -> None:
    payload = load_fixture("ems_2026_cluster.json")
    mutate(payload)
    with pytest.raises(
        HomevoltResponseError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        parse_ems(payload)


@pytest.mark.parametrize(
    ("parser", "payload", "message"),
    [
        (parse_ems, [], "ems.json: expected an object, got a list"),
        (parse_status, {}, r"status.json.up_time: expected a number"),
        (parse_schedule, {"schedule": [{"id": 1}]}, r"schedule.json.schedule\[0\].type"),
        (parse_schedule, {"schedule": [{"id": "x", "type": 1}]}, r"schedule\[0\].id"),
        (parse_params, {}, "params.json: expected a list"),
        (parse_params, [{"name": "x", "value": [{}]}], r"params.json\[0\].value"),
        (parse_error_report, [{"activated": "ok"}], r"error_report.json\[0\].error_name"),
    ],
)
def test_bad_payloads(parser: Any, payload: Any, message: str) -> None:
    with pytest.raises(HomevoltResponseError, match=message):
        parser(copy.deepcopy(payload))


def test_unknown_fields_are_ignored() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    payload["ems"][0]["new_block"] = {"anything": [1, 2]}
    payload["sensors"][0]["function"] = "heat_pump"
    ems = parse_ems(payload)
    assert ems.sensors[0].function is SensorFunction.UNSPECIFIED


def test_single_name_instead_of_a_list() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    payload["ems"][0]["ems_data"]["warning_str"] = "EMS_WARNING_UNDER_SOC_MIN_WARNING"
    payload["ems"][0]["ems_data"]["alarm_str"] = ""
    unit = parse_ems(payload).leader
    assert unit.warnings == ("EMS_WARNING_UNDER_SOC_MIN_WARNING",)
    assert unit.alarms == ()


def test_faulted_follower_without_readings() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    follower = payload["ems"][1]
    follower["error"], follower["error_str"], follower["op_state_str"] = (
        3,
        "Inverter fault",
        "fault",
    )
    del follower["ems_data"]["soc_avg"], follower["ems_data"]["power"]
    ems = parse_ems(payload)
    faulted = ems.units[1]
    assert faulted.is_faulted
    assert (faulted.state_of_charge, faulted.power, faulted.charge_power) == (None, None, None)
    # The totals are those of the units that report.
    assert ems.state_of_charge == pytest.approx(0.68)
    assert ems.battery_power == -7
    del follower["ems_data"]
    assert parse_ems(payload).units[1].temperature is None
    # A healthy unit must report them.
    payload = load_fixture("ems_2026_cluster.json")
    del payload["ems"][1]["ems_data"]["power"]
    with pytest.raises(HomevoltResponseError, match=r"ems\[1\]\.ems_data\.power"):
        parse_ems(payload)
    payload["ems"][1]["ems_data"] = None
    with pytest.raises(HomevoltResponseError, match=r"ems\[1\]\.ems_data: expected an object"):
        parse_ems(payload)


def test_documented_ota_manifest() -> None:
    (update,) = parse_ota_manifest(load_fixture("ota_manifest_doc.json"))
    assert update.product_id == 1
    assert (update.current_version, update.available_version) == ("1.2.3", "1.2.4")
    assert update.state is OtaState.IDLE
    assert update.up_to_date is False
    assert update.latest_version == "1.2.4"
    assert not update.in_progress
    assert update.progress is None  # no progress while nothing runs


def _ota(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = load_fixture("ota_manifest_doc.json")
    payload["updates"][0].update(changes)
    return payload


def test_ota_up_to_date_shows_the_running_version() -> None:
    (update,) = parse_ota_manifest(_ota(up2date=True, available_version="1.2.3"))
    assert update.latest_version == "1.2.3"
    # The device's flag wins over a stale offer.
    (update,) = parse_ota_manifest(_ota(up2date=True))
    assert update.latest_version == "1.2.3"
    (update,) = parse_ota_manifest(_ota(available_version=""))
    assert update.latest_version == "1.2.3"


@pytest.mark.parametrize(
    ("state", "progress", "expected"),
    [
        ("DOWNLOADING", 42, 42),
        ("VERIFYING", 61.5, 61.5),
        ("INSTALLING", 100, 100),
        ("INSTALLING", 250, None),  # not a percentage: unknown, not shown as valid
        ("INSTALLING", -1, None),
        ("COMPLETE", 100, None),
        ("ERROR", 37, None),
    ],
)
def test_ota_progress(state: str, progress: float, expected: float | None) -> None:
    (update,) = parse_ota_manifest(_ota(state=state, progress_percent=progress))
    assert update.state is OtaState(state.lower())
    assert update.in_progress is (state in ("DOWNLOADING", "VERIFYING", "INSTALLING"))
    assert update.progress == expected


def test_ota_unknown_state() -> None:
    (update,) = parse_ota_manifest(_ota(state="FLASHING_BOOTLOADER"))
    assert update.state is OtaState.UNKNOWN
    assert not update.in_progress


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, r"ota_manifest.json.updates: expected a list"),
        ({"updates": [{"current_version": "1"}]}, r"updates\[0\].product_id"),
        ({"updates": [{"product_id": 1}]}, r"updates\[0\].current_version: expected a version"),
        (_ota(current_version="1.2\n3"), r"current_version: '1.2\\n3' is not a version"),
        (_ota(available_version="x" * 65), r"available_version: 'x+' is not a version"),
        (_ota(available_version=5), r"available_version: expected a string"),
        (
            {"updates": [_ota()["updates"][0], _ota()["updates"][0]]},
            "product 1 is listed more than once",
        ),
    ],
)
def test_bad_ota_manifests(payload: Any, message: str) -> None:
    with pytest.raises(HomevoltResponseError, match=message):
        parse_ota_manifest(payload)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (58109703998024, "34d9b843ca48"),  # older firmware: the number
        ("34d9b843ca48", "34d9b843ca48"),  # documented firmware: its hex
        ("34D9B843CA48", "34d9b843ca48"),
        ("58109703998024", "34d9b843ca48"),  # decimal text, too long to be 12 hex digits
        (9731192375880, "08d9b843ca48"),  # zero-padded to 12 digits
        ("68b6b34cda94", "68b6b34cda94"),
    ],
)
def test_unit_ids_have_one_form(wire: int | str, expected: str) -> None:
    payload = load_fixture("ems_2026_cluster.json")
    payload["ems"][0]["ecu_id"] = wire
    assert parse_ems(payload).leader.ecu_id == expected
    assert normalize_ecu_id(wire) == expected


def test_fault_shown_only_by_the_system_state() -> None:
    # The real 2025 cluster capture: error 0, op_state_str "idle", ems_data.state_str "Fault".
    ems = parse_ems(load_fixture("captures/johnan-ems-example-2025-05/ems.json"))
    assert [unit.is_faulted for unit in ems.units] == [False, True]


def test_empty_ct_slots_are_not_clamps() -> None:
    ems = parse_ems(load_fixture("captures/martinwelen-2026-02-13/ems.json"))
    assert len(ems.sensors) == 3
    assert all(sensor.is_empty_slot for sensor in ems.sensors)
    older = parse_ems(load_fixture("captures/johnan-ems-example-2025-05/ems.json"))
    assert [sensor.is_empty_slot for sensor in older.sensors] == [False, False, False]


def test_counters_do_not_switch_to_ems_aggregate() -> None:
    payload = load_fixture("ems_2026_cluster.json")
    follower = payload["ems"][1]
    follower["error"] = 3
    del follower["ems_data"]
    # ems_aggregate holds another counter (1211.98 kWh vs 1634.915): not a stand-in.
    assert parse_ems(payload).units[1].discharged_energy is None
    # A healthy unit whose ems_data keeps no counters reads them from ems_aggregate.
    payload = load_fixture("ems_2026_cluster.json")
    del payload["ems"][1]["ems_data"]["energy_produced"]
    del payload["ems"][1]["ems_data"]["energy_consumed"]
    assert parse_ems(payload).units[1].discharged_energy == pytest.approx(1211.98)
