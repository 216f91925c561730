"""The model rendered as the device's JSON, in the 2025 or the documented 2026 firmware shape."""

from datetime import datetime
from typing import Any

from .model import BatterySystem, UnitModel

PHASES = 3
GRID_EUID, SOLAR_EUID = "a46dd4fffee4dd49", "9035eafffe2b0d31"
NODES = {1: ("grid", GRID_EUID), 3: ("solar", SOLAR_EUID)}


def _voltage(system: BatterySystem, phase: int) -> float:
    return round(229.5 + phase * 0.8 + (system.now % 7) * 0.1, 1)


def _phases(system: BatterySystem, total: float, *, zero: bool = False) -> list[dict[str, Any]]:
    phases = []
    for index in range(PHASES):
        power = 0.0 if zero else total / PHASES
        voltage = 0.0 if zero else _voltage(system, index)
        phases.append(
            {
                "voltage": voltage,
                "amp": round(abs(power) / voltage, 2) if voltage else 0,
                "power": round(power, 2),
                "pf": 0 if zero or not power else (0.97 if power > 0 else -0.97),
            }
        )
    return phases


def _unit_block(system: BatterySystem, unit: UnitModel) -> dict[str, Any]:
    usable = unit.rated_cap * unit.usable_fraction
    soc_ratio = unit.soc / 100
    low = float(system.param("battery_min_soc") or 0) / 100
    fault = unit.fault
    data: dict[str, Any] = {
        "timestamp_ms": int(system.now * 1000),
        "state": 6 if fault else 2,
        "state_str": "Fault" if fault else "Running",
        "info": 1,
        "info_str": ["EMS_INFO_CONNECTED_TO_BACKEND"],
        "warning": 64 if unit.soc <= low * 100 else 0,
        "warning_str": ["EMS_WARNING_UNDER_SOC_MIN_WARNING"] if unit.soc <= low * 100 else [],
        "alarm": 1 if fault else 0,
        "alarm_str": ["EMS_ALARM_INVERTER_FAULT"] if fault else [],
        "phase_angle": 90,
        "frequency": round(system.frequency * 1000),
        "phase_seq": 1,
        "power": round(unit.power),
        "apparent_power": abs(round(unit.power)),
        "reactive_power": 0,
        "energy_produced": round(unit.produced_wh),
        "energy_consumed": round(unit.consumed_wh),
        "sys_temp": round(unit.temperature * 10),
        "avail_cap": round(usable),
        "freq_res_state": 0,
        "soc_avg": round(unit.soc * 100),
    }
    op_state = (
        "fault"
        if fault
        else ("charging" if unit.power < 0 else "discharging" if unit.power > 0 else "idle")
    )
    block: dict[str, Any] = {
        "ecu_id": unit.ecu_hex if system.firmware == "2026" else unit.ecu_id,
        "ecu_host": "" if unit.index == 0 else f"[fd00::1a8b:eff:fec6:{unit.index:04x}]:5259",
        "ecu_version": "",
        "error": 3 if fault else 0,
        "error_str": "Inverter fault" if fault else "No error",
        "op_state": {"idle": 1, "charging": 2, "discharging": 3, "fault": 9}[op_state],
        "op_state_str": op_state,
        "ems_info": {
            "protocol_version": 5,
            "fw_version": "v31.4" if system.firmware == "2026" else "v29.1",
            "rated_capacity": round(unit.rated_cap),
            "rated_power": round(unit.rated_power),
            "rated_pv_power": 0,
            "model": "B6",
        },
        "bms_info": [
            {
                "fw_version": "v6",
                "serial_number": module.serial,
                "rated_cap": round(module.rated_cap),
                "id": index,
                "battery_type": 1,
                "battery_type_str": "NMC 210 10A",
            }
            for index, module in enumerate(unit.modules)
        ],
        "inv_info": {
            "fw_version": "V1.10-97.0",
            "serial_number": f"F412FAE4{unit.ecu_id % 65536:04X}",
        },
        "inv_config": {"ffr_fstart_freq": 9900},
        "ems_config": {
            "grid_code_preset": 9,
            "grid_code_preset_str": "Sweden",
            "control_timeout": True,
        },
        "ems_control": {"mode_sel": 1, "mode_sel_str": "operational", "pwr_ref": round(unit.power)},
        "ems_data": data,
        "bms_data": [
            {
                "energy_avail": round(
                    max(0.0, min(100.0, unit.soc + module.soc_offset))
                    / 100
                    * module.rated_cap
                    * unit.usable_fraction
                ),
                "cycle_count": int(module.cycles),
                "soc": round(max(0.0, min(100.0, unit.soc + module.soc_offset)) * 100),
                "state": 5,
                "state_str": "Connected",
                "alarm": 0,
                "alarm_str": [],
                "tmin": round(module.tmin * 10),
                "tmax": round(module.tmax * 10),
            }
            for module in unit.modules
        ],
        "ems_prediction": {
            "avail_ch_pwr": 0 if fault or unit.soc >= 100 else round(unit.rated_power),
            "avail_di_pwr": 0 if fault or unit.soc <= low * 100 else round(unit.rated_power),
            "avail_ch_energy": round(usable * (1 - soc_ratio)),
            "avail_di_energy": round(max(0.0, usable * (soc_ratio - low))),
            "avail_inv_ch_pwr": round(unit.rated_power),
            "avail_inv_di_pwr": round(unit.rated_power),
            "avail_group_fuse_ch_pwr": 11040,
            "avail_group_fuse_di_pwr": 11040,
        },
        "ems_voltage": {
            "l1": round(_voltage(system, 0) * 10),
            "l2": round(_voltage(system, 1) * 10),
            "l3": round(_voltage(system, 2) * 10),
            "l1_l2": round(_voltage(system, 0) * 17.32),
            "l2_l3": round(_voltage(system, 1) * 17.32),
            "l3_l1": round(_voltage(system, 2) * 17.32),
        },
        # Every real unit sends the block (scale unknown: every capture is 0 at a few watts);
        # here the inverter's current per phase in deci-amperes, like the voltages' deci-volts.
        "ems_current": {
            f"l{phase + 1}": round(abs(unit.power) / PHASES / _voltage(system, phase) * 10)
            for phase in range(PHASES)
        },
        "ems_aggregate": {
            "imported_kwh": round(unit.produced_wh / 1000, 2),
            "exported_kwh": round(unit.consumed_wh / 1000, 2),
        },
        "error_cnt": 0,
    }
    if unit.index:
        block["peer"] = {
            "last_seq": 629530,
            "last_timestamp_ms": int(system.now * 1000),
            "last_decrypt_age_ms": 517,
        }
    return block


def _timestamp_str(system: BatterySystem, seconds: float) -> str:
    return datetime.fromtimestamp(seconds, system.zone).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _sensor(
    system: BatterySystem,
    function: str,
    kind: str,
    euid: str,
    total: float,
    imported: float,
    exported: float,
    *,
    node_id: int | None = None,
    rssi: float = 0,
    milliseconds: bool = True,
    zero_phases: bool = False,
) -> dict[str, Any]:
    old = system.firmware == "2025"
    item: dict[str, Any] = (
        {"type": function} if old else {"function": function, "sensor_type": kind}
    )
    if node_id is not None:
        item["node_id"] = node_id
    stamp = system.now - (2 if node_id else 0)
    item |= {
        "euid": euid,
        "interface": 7 if node_id else 0,
        "available": True,
        "rssi": rssi,
        "average_rssi": rssi - 0.4 if rssi else 0,
        "pdr": 100 if node_id else 0,
        "phase": _phases(system, total, zero=zero_phases),
        "frequency": 0 if old else round(system.frequency, 2),
        "total_power": round(total),
        "energy_imported": round(imported, 2),
        "energy_exported": round(exported, 2),
        "timestamp": int(stamp * 1000) if milliseconds else int(stamp),
    }
    if not old:
        item["timestamp_str"] = _timestamp_str(system, stamp)
    return item


def ems(system: BatterySystem) -> dict[str, Any]:
    """ems.json."""
    old = system.firmware == "2025"
    units = [_unit_block(system, unit) for unit in system.units]
    sensors: list[dict[str, Any]] = []
    if not old:
        for unit, block in zip(system.units, units, strict=True):
            sensors.append(
                _sensor(
                    system,
                    "battery",
                    "ems",
                    f"0000{unit.ecu_hex}",
                    unit.power,
                    block["ems_aggregate"]["imported_kwh"],
                    block["ems_aggregate"]["exported_kwh"],
                )
            )
    sensors += [
        _sensor(
            system,
            "grid",
            "pulse_ct",
            GRID_EUID,
            system.grid_power,
            system.grid.imported,
            system.grid.exported,
            node_id=1,
            rssi=-81,
            milliseconds=not old,
        ),
        _sensor(
            system,
            "solar",
            "pulse_ct",
            SOLAR_EUID,
            system.solar_power,
            system.solar.imported,
            system.solar.exported,
            node_id=3,
            rssi=-86,
            milliseconds=not old,
        ),
        _sensor(
            system,
            "load",
            "virtual",
            "0000000000000000",
            -system.house_power,
            system.load.imported,
            system.load.exported,
            zero_phases=old,
        ),
    ]
    if old:
        # Older firmware: a full copy of the leader (modules, voltages, counters included).
        aggregated = {key: value for key, value in units[0].items() if not key.startswith("ecu_")}
    else:
        aggregated = {
            key: units[0][key]
            for key in ("error", "error_str", "op_state", "op_state_str", "ems_control")
        }
        data = dict(units[0]["ems_data"])
        for key in ("power", "energy_produced", "energy_consumed", "avail_cap"):
            data[key] = sum(unit["ems_data"][key] for unit in units)
        capacity = sum(unit.rated_cap for unit in system.units)
        data["soc_avg"] = round(
            sum(unit.soc * unit.rated_cap for unit in system.units) / capacity * 100
        )
        aggregated["ems_data"] = data
        aggregated["ems_prediction"] = {
            key: sum(unit["ems_prediction"][key] for unit in units)
            for key in units[0]["ems_prediction"]
        }
    return {
        "$type": "ems_data",
        "ts": int(system.now),
        "ems": units,
        "aggregated": aggregated,
        "sensors": sensors,
    }


def status(system: BatterySystem) -> dict[str, Any]:
    """status.json."""
    leader = system.units[0]
    data: dict[str, Any] = {
        "up_time": int((system.now - system.boot_time) * 1000),
        "poll_time": 0,
        "firmware": {
            "esp": system.ota.current_version,
            "efr": "804-4190150b",
        },
        "wifi_status": {
            "wifi_mode": "sta",
            "ip": "127.0.0.1",
            "ssid": "Simulated",
            "bssid": "18e829a7d731",
            "rssi": -43 - int(_n(system) * 10),
            "connected": True,
            "wifi_err_buf": [],
        },
        "mqtt_status": {"connected": True, "subscribed": True},
        "ota_update_running": system.ota.state in ("DOWNLOADING", "VERIFYING", "INSTALLING"),
        "ems_status": {
            "ems_info": {
                "protocol_version": 5,
                "fw_version": "v31.4",
                "rated_power": round(leader.rated_power),
                "rated_cap": round(leader.rated_cap),
                "rated_pv_power": 0,
            },
            "inverter_info": {
                "fw_version": "V1.10-97.0",
                "serial_number": f"F412FAE4{leader.ecu_id % 65536:04X}",
            },
        },
    }
    if system.firmware == "2026":
        data["lte_status"] = {
            "imei": "864145063230323",
            "imsi": "234502102103229",
            "iccid": "89457300000011033129",
            "operator_name": "Telia",
            "rssi_db": -65,
            "pdp_active": True,
        }
    return data


def _n(system: BatterySystem) -> float:
    return (system.now / 60) % 1


def schedule(system: BatterySystem) -> dict[str, Any]:
    """schedule.json."""
    return {
        "local_mode": system.local_mode,
        "schedule_id": system.schedule_id,
        "schedule": [entry.as_json() for entry in system.schedule],
    }


def params(system: BatterySystem) -> list[dict[str, Any]]:
    """params.json."""
    return [param.as_json() for param in system.params.values()]


def error_report(system: BatterySystem) -> list[dict[str, Any]]:
    """error_report.json."""
    items = [
        ("ECU", 1, "power_24v", "ok", ""),
        ("ECU", 2, "ledstrip_detected", "ok", "Rev:2 (461 mV)"),
        ("ECU", 9, "local_mode_disabled", "ok" if system.local_mode else "warning", ""),
    ]
    items += [
        ("EMS", 20 + unit.index, f"unit_{unit.index}_fault", "error" if unit.fault else "ok", "")
        for unit in system.units
    ]
    return [
        {
            "sub_system_id": 0 if sub == "ECU" else 1,
            "sub_system_name": sub,
            "error_id": error_id,
            "error_name": name,
            "activated": state,
            "message": message,
            "details": [],
        }
        for sub, error_id, name, state, message in items
    ]


def nodes(system: BatterySystem) -> list[dict[str, Any]]:
    """nodes.json."""
    return [
        {
            "node_id": node_id,
            "product_id": 53456,
            "product_model": "TBF01",
            "eui": euid,
            "version": "1220-911ca807",
            "average_rssi": -81 - node_id,
            "rssi": -81 - node_id,
            "average_lqi": 209,
            "lqi": 255,
            "pdr": 100,
            "last_seen_ms": 2000 + node_id,
            "last_data_ms": 2000 + node_id,
            "available": True,
            "paired": True,
            "model": "tibber-pulse-clamp-node-efr32-fg23",
        }
        for node_id, (_, euid) in NODES.items()
    ]


def ct(system: BatterySystem, node_id: int) -> dict[str, Any] | None:
    """ct.json for one clamp, or None for an unknown node."""
    if node_id not in NODES:
        return None
    function = NODES[node_id][0]
    total = system.grid_power if function == "grid" else system.solar_power
    meter = system.grid if function == "grid" else system.solar
    return {
        "ct": [
            {
                "ts": int(system.now * 1000),
                "amps": phase["amp"],
                "volts": phase["voltage"],
                "pf": phase["pf"],
                "pwr": phase["power"],
                "line": index * 120,
                "imp": round(meter.imported / 3, 2),
                "exp": round(meter.exported / 3, 2),
            }
            for index, phase in enumerate(_phases(system, total))
        ],
        "tpw": round(total),
        "imp": round(meter.imported, 2),
        "exp": round(meter.exported, 2),
    }


def mains(system: BatterySystem) -> dict[str, Any]:
    """mains_data.json."""
    return {
        "timestamp": int(system.now * 1000) % 2**32,
        "mains_voltage_rms": _voltage(system, 0),
        "mains_voltage": round(_voltage(system, 0) * 1.414, 2),
        "frequency": round(system.frequency, 2),
    }


def ota_manifest(system: BatterySystem) -> dict[str, Any]:
    """ota_manifest.json, in the vendor docs' shape."""
    ota = system.ota
    return {
        "timestamp": int(system.now),
        "updates": [
            {
                "product_id": ota.product_id,
                "current_version": ota.current_version,
                "available_version": ota.available_version,
                "file_size": 0 if ota.up_to_date else 1_572_864,
                "manifest_url": "https://firmware.invalid/ecu/manifest.json",
                "state": ota.state,
                "progress_percent": round(ota.progress),
                "up2date": ota.up_to_date,
            }
        ],
    }
