"""The leader's entities (what status.json tells) stay on the leader's device while a poll of
the cluster leaves the leader out of ems.json, also when that poll is the one at set-up.

Real clusters drop the leader from a poll now and then. Its status entities are the leader's
all the same: registered on its device (the system id's), never on the unit still reported,
and when the leader is back nothing moves and nothing is added twice.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homevolt_local_api.const import DOMAIN
from tests.conftest import load_fixture
from tests.integration.conftest import follow_up
from tests.integration.test_lifecycle import (
    FOLLOWER,
    LEADER,
    POLL,
    ScriptedBattery,
    battery,  # noqa: F401 - the scripted battery fixture
    entities,
    entry_for,
    set_up,
    tick,
    unavailable,
    without_units,
)

CLUSTER = "ems_2026_cluster.json"


@pytest.fixture(autouse=True)
def _all_entities_enabled(entity_registry_enabled_by_default: None) -> None:
    """Every entity, also those disabled by default, so that none is missed."""


def _serve(device: ScriptedBattery, ems: dict[str, Any]) -> None:
    device.payloads.update(
        {
            "/ems.json": ems,
            "/status.json": load_fixture("status_2026.json"),
            "/schedule.json": load_fixture("schedule_local.json"),
            "/ota_manifest.json": load_fixture("ota_manifest_doc.json"),
        }
    )


def _picture(hass: HomeAssistant) -> dict[str, tuple[str, frozenset[str], str | None, Any]]:
    """ "platform:unique id" -> entity id, its device (our identifiers), device name, name."""
    devices = dr.async_get(hass)
    found = {}
    for entity in er.async_get(hass).entities.values():
        device = devices.async_get(entity.device_id) if entity.device_id else None
        identifiers = frozenset(value for _, value in device.identifiers) if device else frozenset()
        state = hass.states.get(entity.entity_id)
        found[f"{entity.domain}:{entity.unique_id}"] = (
            entity.entity_id,
            identifiers,
            device.name if device else None,
            state.attributes.get("friendly_name") if state else None,
        )
    return found


def _leaders(picture: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in picture.items() if f":{LEADER}_leader_" in key}


async def _fresh_with_the_leader(hass: HomeAssistant, device: ScriptedBattery) -> dict[str, Any]:
    """What a set-up with the leader reported from the start registers (nothing kept before)."""
    for entry in hass.config_entries.async_entries():
        assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    # Forget the removed entities, so that no entity id is handed back to the new ones.
    er.async_get(hass).deleted_entities.clear()
    _serve(device, load_fixture(CLUSTER))
    await set_up(hass, entry_for(device, LEADER))
    await follow_up(hass)
    return _picture(hass)


def _on_the_leader(picture: dict[str, Any]) -> None:
    leaders = _leaders(picture)
    # The status sensors, the local mode switch and the firmware entities.
    assert {key.partition(":")[0] for key in leaders} >= {"sensor", "switch", "update"}
    for entity_id, identifiers, device_name, _ in leaders.values():
        assert identifiers == {LEADER}, entity_id
        assert device_name == "Homevolt unit 1", entity_id


async def test_leader_missing_at_the_first_set_up(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _serve(battery, without_units(load_fixture(CLUSTER), LEADER))
    entry = await set_up(hass, entry_for(battery, LEADER))
    await follow_up(hass)
    _on_the_leader(_picture(hass))
    follower = {value for value in entities(hass, entry) if f"_unit_{FOLLOWER}_" in value}
    assert follower
    assert not follower & unavailable(hass, entry)
    assert not [value for value in entities(hass, entry) if f"_unit_{LEADER}_" in value]

    battery.payloads["/ems.json"] = load_fixture(CLUSTER)
    await tick(hass, freezer, POLL)
    back = _picture(hass)
    _on_the_leader(back)
    assert "already exists" not in caplog.text
    assert "does not generate unique IDs" not in caplog.text

    assert back == await _fresh_with_the_leader(hass, battery)


async def test_leader_missing_at_a_restart(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    _serve(battery, load_fixture(CLUSTER))
    entry = await set_up(hass, entry_for(battery, LEADER))
    await follow_up(hass)
    before = _picture(hass)
    _on_the_leader(before)

    battery.payloads["/ems.json"] = without_units(load_fixture(CLUSTER), LEADER)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await follow_up(hass)
    assert _picture(hass) == before
    # The leader's own (ems.json) entities are unavailable meanwhile; its status ones are not.
    gone = unavailable(hass, entry)
    assert any(f"_unit_{LEADER}_" in value for value in gone)
    assert not {value for value in gone if f":{LEADER}_leader_" in value}

    battery.payloads["/ems.json"] = load_fixture(CLUSTER)
    await tick(hass, freezer, POLL)
    assert _picture(hass) == before


async def test_leader_not_known_at_set_up_is_added_when_it_is(
    hass: HomeAssistant,
    battery: ScriptedBattery,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    # An entry without an id, set up while only a follower is reported: which unit leads is not
    # known, so the leader's entities wait for it rather than land on the follower's device.
    _serve(battery, without_units(load_fixture(CLUSTER), LEADER))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Homevolt",
        minor_version=2,
        data={CONF_HOST: battery.url, CONF_PASSWORD: None},
    )
    await set_up(hass, entry)
    await follow_up(hass)
    assert not [key for key in _picture(hass) if "_leader_" in key]

    battery.payloads["/ems.json"] = load_fixture(CLUSTER)
    await tick(hass, freezer, POLL)
    leaders = {key: value for key, value in _picture(hass).items() if "_leader_" in key}
    assert {key.partition(":")[0] for key in leaders} >= {"sensor", "switch", "update"}
    for entity_id, identifiers, _, _ in leaders.values():
        assert identifiers == {LEADER}, entity_id
