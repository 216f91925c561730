"""A new read keeps the old object of every unit, module and clamp that did not change, only those."""

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.models import EmsData, parse_ems
from custom_components.homevolt_local_api.data import keep_unchanged
from tests.api.test_plain_reading import BODIES, _mutated


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
