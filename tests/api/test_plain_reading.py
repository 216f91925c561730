"""ems.json's plain reading gives what the checked reading gives, value for value.

parse_ems reads a regular answer plainly and hands anything else to the checked reading (the
field-by-field one). Whatever the device sends, the two must agree: the same model (compared by
repr, so an int for a float or -0.0 shows), the same error, the same warnings in the same order,
and the same fields remembered as implausible, also across polls.
"""

import copy
from datetime import UTC, datetime
import logging
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.models import (
    Plausibility,
    _checked_ems,
    _plain_sensor,
    _plain_unit,
    parse_ems,
)
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
    """Mostly a value of the old one's kind (so that the plain reading often takes it)."""
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


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _outcome(read: Any, payloads_in_turn: list[Any]) -> list[tuple[str, list[str], frozenset[str]]]:
    """What one device's reader gives for each poll: the model or error, warnings, memory."""
    logger = logging.getLogger("custom_components.homevolt_local_api.api.models")
    checker = Plausibility()
    found = []
    for payload in payloads_in_turn:
        handler = _Warnings()
        logger.addHandler(handler)
        try:
            result = repr(read(copy.deepcopy(payload), checker))
        except HomevoltResponseError as err:
            result = f"error: {err}"
        finally:
            logger.removeHandler(handler)
        found.append((result, handler.messages, checker.implausible))
    return found


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_plain_reading_agrees_with_checked_reading(data: st.DataObject) -> None:
    base = BODIES[data.draw(st.sampled_from(sorted(BODIES)))]
    # Three polls of one device: a broken field is remembered, then may read well again.
    polls = [_mutated(data, base) for _ in range(data.draw(st.integers(min_value=1, max_value=3)))]
    assert _outcome(parse_ems, polls) == _outcome(_checked_ems, polls)


_DELETE = object()
# Just past each kind of range (in the device's units), and the values no range takes.
_ONE_CHANGE_NUMBERS: list[Any] = [0, -1, 101, 151, 1001, 1501, 10001, 65001, 150_001]
_ONE_CHANGE_NUMBERS += [1_000_001, 10**12 + 1]
_ONE_CHANGE_NUMBERS += [-501, -2001, -1_000_001, 2**53 + 1, 10**400, 7_258_118_401, 0.5, -0.0]
_ONE_CHANGE_NUMBERS += [271.0, 1e308, float("nan"), float("inf")]
_ONE_CHANGE_OTHERS: list[Any] = [None, True, "", "Fault", "grid", "0x34D9B843CA48", [], {}]
_ONE_CHANGE_OTHERS += [[1], [{}]]
_ONE_CHANGE_OTHERS += [["EMS_WARNING"], "2026-06-01 14:00:00", 0, 1, _DELETE]


def _poll(read: Any, payload: Any, checker: Plausibility) -> tuple[str, frozenset[str]]:
    try:
        result = repr(read(payload, checker))
    except HomevoltResponseError as err:
        result = f"error: {err}"
    return result, checker.implausible


@pytest.mark.parametrize("name", ["documented cluster", "capture johnan"])
def test_every_single_change_reads_alike(name: str) -> None:
    """Each field in turn set to each edge or odd value (or left out), one change per answer."""
    payload = copy.deepcopy(BODIES[name])
    # "aggregated" repeats a unit's fields and nothing reads it.
    for path in [path for path in _leaves(payload)[1:] if path[0] != "aggregated"]:
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        old = parent[path[-1]]
        is_number = isinstance(old, (int, float)) and not isinstance(old, bool)
        for value in (_ONE_CHANGE_NUMBERS if is_number else []) + _ONE_CHANGE_OTHERS:
            if value is _DELETE and isinstance(parent, list):
                continue
            if value is _DELETE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            plain, checked = Plausibility(), Plausibility()
            got = _poll(parse_ems, payload, plain)
            expected = _poll(_checked_ems, payload, checked)
            assert got == expected, (path, value)
            parent[path[-1]] = old
            if expected[1]:
                # The next poll reads well again: the field is forgotten, by both readings.
                expected = _poll(_checked_ems, payload, checked)
                assert _poll(parse_ems, payload, plain) == expected, (path, value, "next poll")


@pytest.mark.parametrize("name", sorted(BODIES))
def test_real_and_simulated_answers_are_read_plainly(name: str) -> None:
    """Every unit and sensor of these regular answers takes the plain way (no second reading)."""
    body = BODIES[name]
    for item in body["ems"]:
        _plain_unit(item)
    for item in body.get("sensors", []):
        _plain_sensor(item)
    assert repr(parse_ems(body)) == repr(_checked_ems(body, Plausibility()))
