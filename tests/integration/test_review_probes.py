"""Hostile review of the probes: an entity passed by after a poll must not show an old value.

An entity is called back only when its probe reads something new. What it shows must then follow
from the probe alone: also when its state is written for another reason (a refused choice, the
owner renaming its device), and whatever single value of a real answer changes.
"""

import copy
from datetime import timedelta
import os
import random
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    Event,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.homevolt_local_api.api import normalize_ecu_id
from custom_components.homevolt_local_api.sensor import HomevoltSensor
from tests.conftest import load_fixture
from tests.integration.conftest import follow_up
from tests.integration.test_lifecycle import (
    LEADER,
    MARTINWELEN,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    capture,
    entities,
    entry_for,
    set_up,
    tick,
)

SELECT = "select.homevolt_system_battery_mode"


def _window(entry_id: int, start: int, end: int, type_code: int) -> dict[str, Any]:
    return {"id": entry_id, "from": start, "to": end, "type": type_code, "params": {}}


async def test_the_mode_select_never_shows_a_schedule_it_was_passed_by_with(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    now = int(dt_util.utcnow().timestamp())
    change = now + 600
    battery.payloads["/ems.json"] = load_fixture("ems_2026_cluster.json")
    # The cloud's plan: charge now, discharge from `change` on (local mode off).
    battery.payloads["/schedule.json"] = {
        "local_mode": False,
        "schedule_id": "cloud-plan-1",
        "schedule": [_window(1, now - 60, change, 1), _window(2, change, change + 600, 2)],
    }
    entry = await set_up(hass, entry_for(battery, LEADER))
    assert hass.states.get(SELECT).state == "inverter_charge"

    # The cloud replans: it charges on after `change`. The mode in force is the same, so the
    # select is passed by; it must not keep the old plan for later.
    battery.payloads["/schedule.json"] = {
        "local_mode": False,
        "schedule_id": "cloud-plan-2",
        "schedule": [_window(1, now - 60, change, 1), _window(3, change, change + 600, 1)],
    }
    await tick(hass, freezer, timedelta(minutes=2, seconds=5))
    assert entry.runtime_data.coordinator.data.schedule.entry(3) is not None
    await tick(hass, freezer, timedelta(seconds=600 - 125 + 5))  # past `change`
    await tick(hass, freezer, POLL)
    assert hass.states.get(SELECT).state == "inverter_charge"

    # The owner tries another mode: refused (local mode off), the list is drawn again.
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": SELECT, "option": "idle"},
            blocking=True,
        )
    assert hass.states.get(SELECT).state == "inverter_charge"  # not the old plan's discharge

    # The owner renames the device: every entity of it writes its state again.
    device_id = er.async_get(hass).async_get(SELECT).device_id
    dr.async_get(hass).async_update_device(device_id, name_by_user="Garage battery")
    await hass.async_block_till_done()
    assert hass.states.get(SELECT).state == "inverter_charge"
    await tick(hass, freezer, POLL)
    assert hass.states.get(SELECT).state == "inverter_charge"


# --------------------------------------------------------------------------------------------
# Any single change of a real answer: a long-running entry shows what a fresh one shows.

# Lifetime counters are never published lower, by design (a fresh entry would show a lower
# reading): they keep their values, the rest of the answer changes.
COUNTERS = frozenset(
    {
        "energy_produced",
        "energy_consumed",
        "imported_kwh",
        "exported_kwh",
        "energy_imported",
        "energy_exported",
        "cycle_count",
        # A product's id is which firmware entity it is: a new one is named beside the old.
        "product_id",
    }
)
# How long after a change each answer is read again (its polling tier, and a second).
READ_AFTER = {
    "/ems.json": POLL,
    "/schedule.json": timedelta(minutes=2, seconds=1),
    "/status.json": timedelta(minutes=5, seconds=1),
    "/ota_manifest.json": timedelta(minutes=30, seconds=1),
    "/params.json": timedelta(hours=6, seconds=1),
}
ABSENT = "absent"
# What the scripted battery cannot send as JSON: it answers 500 (a 404 would tell a fresh entry
# that the firmware has no such endpoint).
FAILS = object()
# Every place of the answers is changed once per pass, a few places of one answer per poll.
PASSES = int(os.environ.get("HOMEVOLT_PROBE_PASSES", "1"))
CHANGES = int(os.environ.get("HOMEVOLT_PROBE_CHANGES", "4"))


def _schedule(now: int) -> dict[str, Any]:
    """A local schedule: an entry in force, then others (a pass over the answers takes hours)."""
    limits = {"setpoint": 3000, "max_charge": 4000, "import_limit": 9000, "export_limit": 5000}
    return {
        "local_mode": True,
        "schedule_id": "Manual Schedule",
        "schedule": [
            {
                "id": 1,
                "from": now - 600,
                "to": now + 8 * 3600,
                "type": 1,
                "min": 20,
                "max": 90,
                "params": dict(limits),
            },
            {
                "id": 2,
                "from": now + 8 * 3600,
                "to": now + 16 * 3600,
                "type": 5,
                "min": 10,
                "params": {**limits, "setpoint": -2000},
            },
            {
                "id": 3,
                "from": now + 16 * 3600,
                "to": now + 72 * 3600,
                "type": 2,
                "params": {"setpoint": 2500},
            },
        ],
    }


def _answers(ems: dict[str, Any], now: int) -> dict[str, Any]:
    params = load_fixture("params_doc.json")
    params.append(
        {"name": "battery_min_soc", "type": "int", "value": [15], "default": [10], "help": "%"}
    )
    return {
        "/ems.json": ems,
        "/status.json": load_fixture("status_2026.json"),
        "/schedule.json": _schedule(now),
        "/params.json": params,
        "/ota_manifest.json": load_fixture("ota_manifest_doc.json"),
    }


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every value's place in an answer (objects and lists too), counters left out."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in COUNTERS:
                found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _changed(rng: random.Random, old: Any) -> Any:
    """Another value in the same place: mostly of the same kind, sometimes anything at all."""
    if isinstance(old, bool):
        return rng.choice([not old, int(not old), int(old), None, "true"])
    if isinstance(old, int | float):
        return rng.choice(
            [
                old + rng.choice([1, -1, 7, 0.5]),
                old * 2,
                -old,
                0,
                float(old) if isinstance(old, int) else int(old),
                10**9,
                -(10**9),
                None,
                "12",
                True,
            ]
        )
    if isinstance(old, str):
        return rng.choice(["", "Fault", "fault", "idle", "charging", old.upper(), old + "x", 0])
    if isinstance(old, list):
        return rng.choice([old[1:], old[:1] * 2 + old[1:], [], old[::-1], None])
    if isinstance(old, dict):
        return rng.choice([{}, None, {**old, "extra": 1}])
    return rng.choice([0, "x", None])


def _places(answers: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every place of every answer that a change could matter in, by answer."""
    places = {path: _paths(payload) for path, payload in answers.items()}
    # Of the parameters, only the minimum SOC is shown (the others go to diagnostics).
    minimum = len(answers["/params.json"]) - 1
    places["/params.json"] = [where for where in places["/params.json"] if where[0] == minimum]
    return places


def _rounds(rng: random.Random, answers: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every place once per pass, CHANGES of one answer at a time, in a shuffled order."""
    rounds = []
    for _ in range(PASSES):
        for path, places in _places(answers).items():
            rng.shuffle(places)
            rounds += [
                (path, places[index : index + CHANGES]) for index in range(0, len(places), CHANGES)
            ]
        # The whole answer failing (not the schedule: set-up needs it).
        rounds += [(path, [()]) for path in answers if path != "/schedule.json"]
    rng.shuffle(rounds)
    return rounds


def _change(rng: random.Random, payload: Any, where: tuple[Any, ...]) -> str:
    """Change (or delete) the value at one place in place; what was done."""
    parent = payload
    try:
        for step in where[:-1]:
            parent = parent[step]
        if rng.random() < 0.15:
            del parent[where[-1]]
            return f"{where} deleted"
        parent[where[-1]] = _changed(rng, parent[where[-1]])
    except KeyError, IndexError, TypeError:
        return f"{where} gone already"  # an earlier change of this round removed it
    return f"{where} = {parent[where[-1]]!r}"


def _states(hass: HomeAssistant, entry: Any) -> dict[str, Any]:
    # While a unit is missing, the power controls keep the whole system's bounds (by design: a
    # fresh entry knows only the units it sees).
    loaded = entry.state is ConfigEntryState.LOADED
    units_missing = loaded and bool(entry.runtime_data.coordinator.data.units_missing)
    found: dict[str, Any] = {}
    for unique_id, entity_id in entities(hass, entry).items():
        # The boot time follows the clock against a standing uptime; the calendar has no probe
        # and an entry without a start is drawn from when it was first seen.
        if unique_id.endswith("_boot_time") or unique_id.startswith("calendar:"):
            continue
        state = hass.states.get(entity_id)
        if state is None or state.attributes.get("restored"):  # registered, not added
            found[unique_id] = ABSENT
        elif state.state == STATE_UNAVAILABLE:
            found[unique_id] = None
        else:
            # Names come from the device registry (a unit's number), not from what is read.
            attributes = dict(state.attributes)
            attributes.pop("friendly_name", None)
            if units_missing and unique_id.startswith("number:"):
                attributes.pop("min", None)
                attributes.pop("max", None)
            found[unique_id] = (state.state, attributes)
    return found


def _differs(polled: Any, fresh: Any) -> bool:
    """Whether the long-running entry shows something a fresh one does not."""
    if polled in (None, ABSENT) and fresh in (None, ABSENT):
        return False  # unavailable, or not added: nothing shown either way
    if fresh is ABSENT:
        # Not added afresh (its clamp or status field is not reported): kept, it shows unknown;
        # a lifetime counter holds what it counted (by design: never lower).
        state, attributes = polled
        return state != STATE_UNKNOWN and attributes.get("state_class") != "total_increasing"
    return polled != fresh


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("ems", "unique_id"),
    [
        (load_fixture("ems_2026_cluster.json"), LEADER),
        (capture(MARTINWELEN), None),
    ],
    ids=["documented cluster", "real single unit 2026"],
)
async def test_any_single_change_shows_what_a_fresh_entry_shows(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    ems: dict[str, Any],
    unique_id: str | None,
) -> None:
    now = int(dt_util.utcnow().timestamp())
    base = _answers(ems, now)
    battery.payloads = copy.deepcopy(base)
    entry = await set_up(hass, entry_for(battery, unique_id or _leader_id(ems)))
    await follow_up(hass)
    rng = random.Random(f"{unique_id}")  # the same order every run (None too)
    previous = "/ems.json"
    history: list[str] = []
    for path, places in _rounds(rng, base):
        if entry.state is not ConfigEntryState.LOADED:  # the last change made set-up fail
            battery.payloads = copy.deepcopy(base)
            assert await _fresh(hass, entry)
            previous = "/ems.json"
        answers = copy.deepcopy(base)
        if places == [()]:
            answers[path] = FAILS
            change = "fails"
        else:
            change = "; ".join(_change(rng, answers[path], where) for where in places)
        battery.payloads = answers
        # Long enough that the answer changed last time is read again too (back as it was).
        await tick(hass, freezer, max(READ_AFTER[path], READ_AFTER[previous]))
        previous = path
        # Every state written again, not after a poll (the owner renames the devices): what an
        # entity passed by shows then must follow from what was read as well.
        _rename_devices(hass, entry, f"Battery {len(history)}")
        await hass.async_block_till_done()
        polled = _states(hass, entry)

        # An answer that cannot be read leaves every entity unavailable, and set-up waiting.
        await _fresh(hass, entry)
        fresh = _states(hass, entry)
        stale = {
            key: (polled.get(key), fresh.get(key))
            for key in polled.keys() | fresh.keys()
            if _differs(polled.get(key, ABSENT), fresh.get(key, ABSENT))
        }
        assert not stale, f"{path}: {change} (after {history[-3:]}): {sorted(stale)}"
        history.append(f"{path}: {change}")


def _rename_devices(hass: HomeAssistant, entry: Any, name: str) -> None:
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        registry.async_update_device(device.id, name_by_user=f"{name} {device.id[:4]}")


async def _fresh(hass: HomeAssistant, entry: Any) -> bool:
    """Set the entry up again, as after a restart: nothing kept from its earlier reads."""
    loaded = await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)
    return loaded


def _leader_id(ems: dict[str, Any]) -> str:
    return normalize_ecu_id(ems["ems"][0]["ecu_id"])


# --------------------------------------------------------------------------------------------
# A probe of ours that raises, and answers that do not change.

ALARMS = "sensor.homevolt_unit_1_alarms"
WARNINGS = "sensor.homevolt_unit_1_warnings"


@pytest.mark.parametrize("from_set_up", [False, True], ids=["after set-up", "from set-up"])
async def test_a_probe_that_raises_makes_its_entity_unavailable_logged_once(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    from_set_up: bool,
) -> None:
    failing = [from_set_up]
    probe = HomevoltSensor._probe

    def alarms_probe_raises(self: HomevoltSensor[Any], target: Any) -> object:
        if failing[0] and self.entity_description.key == "alarms":
            raise ZeroDivisionError
        return probe(self, target)

    # Only the comparison raises (what the sensor shows still reads well): a fault of ours.
    monkeypatch.setattr(HomevoltSensor, "_probe", alarms_probe_raises)
    answers = load_fixture("ems_2026_cluster.json")
    battery.payloads["/ems.json"] = answers
    await set_up(hass, entry_for(battery, LEADER))
    assert hass.states.get(ALARMS).state == "0"

    failing[0] = True
    leader = answers["ems"][0]
    leader["ems_data"]["warning_str"] = ["EMS_WARNING_LOW_SOC"]
    leader["error_str"] = "Grid lost"  # what the alarms sensor shows changes: not kept as valid
    await tick(hass, freezer, POLL)
    assert hass.states.get(ALARMS).state == STATE_UNAVAILABLE
    # The other entities of its part still follow what is read.
    assert hass.states.get(WARNINGS).state == "1"
    for _ in range(3):
        await tick(hass, freezer, POLL)
    failures = [record for record in caplog.records if "Unexpected error" in record.getMessage()]
    assert len(failures) == 1, failures
    assert ALARMS in failures[0].getMessage()
    assert failures[0].exc_info is not None

    failing[0] = False
    await tick(hass, freezer, POLL)
    assert hass.states.get(ALARMS).state == "0"
    assert hass.states.get(ALARMS).attributes["error"] == "Grid lost"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("ems", "unique_id"),
    [(load_fixture("ems_2026_cluster.json"), LEADER), (capture(MARTINWELEN), None)],
    ids=["documented cluster", "real single unit 2026"],
)
async def test_nothing_is_written_while_the_answers_stay_the_same(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    ems: dict[str, Any],
    unique_id: str | None,
) -> None:
    answers = _answers(ems, int(dt_util.utcnow().timestamp()))
    battery.payloads = answers
    entry = await set_up(hass, entry_for(battery, unique_id or _leader_id(ems)))
    await follow_up(hass)
    ours = set(entities(hass, entry).values())
    written: list[str] = []

    @callback
    def ours_only(event_data: Any) -> bool:
        return event_data["entity_id"] in ours

    @callback
    def count(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    # A state written unchanged is reported, not changed: both count.
    hass.bus.async_listen(EVENT_STATE_CHANGED, count, event_filter=ours_only)
    hass.bus.async_listen(EVENT_STATE_REPORTED, count, event_filter=ours_only)
    uptime = answers["/status.json"]["up_time"]
    elapsed = timedelta()
    # Polls, and each slower answer read again (the same; the uptime runs with the clock).
    for step in (POLL, POLL, POLL, *READ_AFTER.values()):
        elapsed += step
        answers["/status.json"]["up_time"] = uptime + elapsed // timedelta(milliseconds=1)
        await tick(hass, freezer, step)
    assert entry.runtime_data.coordinator.last_update_success
    assert not written


MINIMUM_SOC = "number.homevolt_system_minimum_soc"


async def test_a_minimum_soc_of_minus_zero_shows_as_a_fresh_entry_shows_it(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    answers = _answers(load_fixture("ems_2026_cluster.json"), int(dt_util.utcnow().timestamp()))
    minimum = answers["/params.json"][-1]
    minimum["value"] = [0]
    battery.payloads = answers
    entry = await set_up(hass, entry_for(battery, LEADER))
    await follow_up(hass)
    assert hass.states.get(MINIMUM_SOC).state == "0.0"

    # Some firmware prints a float's sign: 0 and -0.0 are the same minimum SOC.
    minimum["value"] = [-0.0]
    await tick(hass, freezer, READ_AFTER["/params.json"])
    assert hass.states.get(MINIMUM_SOC).state == "0.0"
    assert await _fresh(hass, entry)
    assert hass.states.get(MINIMUM_SOC).state == "0.0"  # not "-0.0"
