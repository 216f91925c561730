"""Whatever the device sends, parsing yields a model or HomevoltResponseError, never a crash."""

import copy
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.models import (
    parse_ems,
    parse_error_report,
    parse_ota_manifest,
    parse_params,
    parse_schedule,
    parse_status,
)
from tests.conftest import load_fixture

PARSERS = {
    "ems_2026_cluster.json": parse_ems,
    "ems_2025.json": parse_ems,
    "status_2026.json": parse_status,
    "schedule_remote.json": parse_schedule,
    "schedule_local.json": parse_schedule,
    "params_doc.json": parse_params,
    "error_report.json": parse_error_report,
    "ota_manifest_doc.json": parse_ota_manifest,
}

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=2),
    # What a broken firmware or a hostile device sends: 400-digit integers, the largest floats.
    st.sampled_from([10**400, -(10**400), 1e308, -1e308, "NaN", "inf"]),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(payload: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return payload


def _touch(model: Any) -> None:
    """Read every field and property, as the integration would: no number is infinite."""
    if isinstance(model, float):
        assert math.isfinite(model)
        return
    if isinstance(model, tuple):
        for item in model:
            _touch(item)
        return
    if not is_dataclass(model):
        return
    for field in fields(model):
        _touch(getattr(model, field.name))
    for name in dir(type(model)):
        if isinstance(getattr(type(model), name, None), property):
            _touch(getattr(model, name))
    if hasattr(model, "active_entry"):
        now = datetime(2025, 12, 19, 8, tzinfo=UTC)
        model.active_entry(now)
        model.next_change(now)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_parse_or_raise_response_error(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(PARSERS)))
    payload = copy.deepcopy(load_fixture(name))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        path = data.draw(st.sampled_from(_paths(payload)))
        action = "delete" if path and data.draw(st.booleans()) else "replace"
        try:
            payload = _mutate(payload, path, action, data.draw(ODD_VALUES))
        except KeyError, IndexError, TypeError:
            continue  # an earlier mutation removed this path
    try:
        model = PARSERS[name](payload)
    except HomevoltResponseError:
        return
    _touch(model)
