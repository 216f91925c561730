"""A new read keeps the old object of every unit, module and clamp that did not change, only those."""

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.models import EmsData, parse_ems
from custom_components.homevolt_local_api.data import keep_unchanged
from simulator import payloads
from simulator.model import BatterySystem
from tests.conftest import load_fixture

_START = datetime(2026, 6, 1, 12, tzinfo=UTC)

BODIES: dict[str, Any] = {
    "documented cluster": load_fixture("ems_2026_cluster.json"),
    "2025 firmware": load_fixture("ems_2025.json"),
    "capture martinwelen": load_fixture("captures/martinwelen-2026-02-13/ems.json"),
    "capture johnan": load_fixture("captures/johnan-ems-example-2025-05/ems.json"),
    **{
        f"simulator {units} unit(s), {firmware}": payloads.ems(
            BatterySystem(units=units, firmware=firmware, start=_START)
        )
        for units in (1, 2)
        for firmware in ("2025", "2026")
    },
}
# A clamp listed twice is one clamp.
BODIES["clamp listed twice"] = copy.deepcopy(BODIES["documented cluster"])
BODIES["clamp listed twice"]["sensors"].append(BODIES["documented cluster"]["sensors"][0])

# Values at and just past the ranges' edges in the device's units (centi-%, mHz, 0.1 °C, ...).
EDGES: list[int] = [0, 1, -1, 45, 65, 100, 101, 150, 151, 1000, 1001, 1500, 1501, 10000, 10001]
EDGES += [45000, 65000, 65001, 100_000, 150_000, 150_001, 1_000_000, 1_000_001, 10**9, 10**12]
EDGES += [10**12 + 1, 2**53, 2**53 + 1, 10**400, 946_684_800, 7_258_118_400, 7_258_118_401, -50]
EDGES += [-500, -501, -200, -2000, -1_000_000, -1_000_001, -(2**53) - 1]

NUMBERS = st.one_of(
    st.sampled_from(EDGES),
    st.sampled_from(EDGES).map(lambda value: -value),
    st.integers(min_value=-2_000_000, max_value=2_000_000),
    st.floats(min_value=-2e6, max_value=2e6),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, float("nan"), float("inf"), 0.5, 271.0]),
    st.integers(min_value=1_700_000_000, max_value=1_800_000_000_000),  # clocks, s and ms
)
TEXTS = st.one_of(
    st.sampled_from(["", "Fault", "fault", "grid", "Solar", "load", "unspecified", "0" * 16]),
    st.sampled_from(["0x34D9B843CA48", "58109703998024", "2026-06-01 14:00:00", "garbage"]),
    st.text(max_size=6),
)
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
    st.lists(st.sampled_from(["EMS_WARNING", 1, None]), max_size=2),
    st.sampled_from([[{}], [1], {"x": 1}, "NaN"]),
)


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _leaves(value, (*prefix, index))
    return found


def _value_like(data: st.DataObject, old: Any) -> Any:
    """Mostly a value of the old one's kind (so that the answer often still reads)."""
    kind = data.draw(st.integers(min_value=0, max_value=9))
    if kind >= 3 and isinstance(old, (int, float)) and not isinstance(old, bool):
        return data.draw(NUMBERS)
    if kind >= 3 and isinstance(old, str):
        return data.draw(TEXTS)
    return data.draw(st.one_of(NUMBERS, TEXTS, ODD))


def _mutated(data: st.DataObject, payload: Any) -> Any:
    payload = copy.deepcopy(payload)
    for _ in range(data.draw(st.integers(min_value=0, max_value=5))):
        path = data.draw(st.sampled_from(_leaves(payload)))
        if not path:
            continue
        parent = payload
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.integers(min_value=0, max_value=5)) == 0:
                del parent[path[-1]]
            else:
                parent[path[-1]] = _value_like(data, parent[path[-1]])
        except KeyError, IndexError, TypeError:
            continue  # an earlier change removed this path
    return payload


def _read(payload: Any) -> EmsData | None:
    try:
        return parse_ems(copy.deepcopy(payload))
    except HomevoltResponseError:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_unchanged_parts_are_the_old_objects(data: st.DataObject) -> None:
    first = _mutated(data, BODIES[data.draw(st.sampled_from(sorted(BODIES)))])
    # The next poll: a few values changed (often none, or only a clamp's clock).
    before, read = _read(first), _read(_mutated(data, first))
    if before is None or read is None:
        return
    kept = keep_unchanged(before, read)
    assert repr(kept) == repr(read)
    old_units = {unit.ecu_id: unit for unit in before.units}
    for unit, new in zip(kept.units, read.units, strict=True):
        old = old_units.get(new.ecu_id)
        assert (unit is old) == (old == new)
        for index, module in enumerate(unit.modules):
            old_module = old.modules[index] if old and index < len(old.modules) else None
            assert (module is old_module) == (old_module == new.modules[index])
    old_sensors = {(sensor.function, sensor.euid): sensor for sensor in before.sensors}
    for sensor, new_sensor in zip(kept.sensors, read.sensors, strict=True):
        old_sensor = old_sensors.get((new_sensor.function, new_sensor.euid))
        assert (sensor is old_sensor) == (old_sensor == new_sensor)
