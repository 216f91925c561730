"""The firmware update entity, read from the simulator's ota_manifest.json over HTTP."""

from datetime import timedelta
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_UPDATE_PERCENTAGE,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, control, entry_for, follow_up, setup_entry

FIRMWARE = "update.homevolt_firmware"
INSTALLED = "3056-1a3446ed"
OFFERED = "3101-5c7d9e02"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_up_to_date(
    hass: HomeAssistant, start_sim: StartSim, entity_registry: er.EntityRegistry
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == INSTALLED
    assert state.attributes[ATTR_LATEST_VERSION] == INSTALLED
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None
    entity = entity_registry.async_get(FIRMWARE)
    assert entity is not None
    assert entity.translation_key == "firmware"
    assert entity.entity_category == "diagnostic"


async def test_update_available(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    await control(sim, "ota", {"available": OFFERED})
    await setup_entry(hass, entry_for(sim))
    state = hass.states.get(FIRMWARE)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == INSTALLED
    assert state.attributes[ATTR_LATEST_VERSION] == OFFERED
    assert state.attributes[ATTR_IN_PROGRESS] is False


async def test_update_in_progress_then_done(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await control(sim, "ota", {"available": OFFERED, "state": "downloading", "progress": 42})
    await setup_entry(hass, entry_for(sim))
    state = hass.states.get(FIRMWARE)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 42

    # While an update runs the manifest is read every minute, so progress moves.
    await control(sim, "ota", {"state": "installing", "progress": 85})
    await _tick(hass, freezer, 60)
    state = hass.states.get(FIRMWARE)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 85

    await control(sim, "ota", {"progress": 99.9})
    await control(sim, "clock", {"advance": 60})  # the simulated unit finishes the update
    await _tick(hass, freezer, 60)
    state = hass.states.get(FIRMWARE)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == OFFERED
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None


async def test_manifest_read_rarely_when_idle(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    for _ in range(120):  # half an hour of 15 s polls
        await _tick(hass, freezer, 15)
    assert sim.requests["GET /ota_manifest.json"] == 1


async def test_update_started_on_the_device_is_seen_within_minutes(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    await control(sim, "ota", {"available": OFFERED, "state": "downloading", "progress": 5})
    # status.json (read every 5 minutes) says an update runs: the manifest is read at once,
    # not at its next half-hourly turn.
    for _ in range(21):  # 5 minutes 15 seconds of 15 s polls
        await _tick(hass, freezer, 15)
    state = hass.states.get(FIRMWARE)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 5


async def test_endpoint_absent_means_no_entity(
    hass: HomeAssistant, start_sim: StartSim, entity_registry: er.EntityRegistry
) -> None:
    sim = await start_sim(ota_manifest=False)
    entry = await setup_entry(hass, entry_for(sim))
    assert hass.states.get("sensor.homevolt_state_of_charge") is not None
    platforms = {
        entity.domain
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    }
    assert Platform.UPDATE not in platforms
    assert Platform.SENSOR in platforms
    assert hass.states.async_entity_ids(UPDATE_DOMAIN) == []


async def test_unreadable_manifest_makes_entity_unavailable(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    sim = await start_sim()
    await setup_entry(hass, entry_for(sim))
    assert hass.states.get(FIRMWARE).state == STATE_OFF
    # A version that is not text a firmware is named with: not shown as if valid.
    await control(sim, "ota", {"available": "\u0007\u0000bad"})
    await _tick(hass, freezer, 30 * 60)
    assert hass.states.get(FIRMWARE).state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.homevolt_state_of_charge").state != STATE_UNAVAILABLE
    await control(sim, "ota", {"available": OFFERED})
    await _tick(hass, freezer, 30 * 60)
    assert hass.states.get(FIRMWARE).state == STATE_ON


async def test_install_is_not_offered(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    await control(sim, "ota", {"available": OFFERED})
    await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
        )
    assert not [request for request in sim.requests if request.startswith("POST")]


async def _with_manifest(sim: Simulator, manifest: dict[str, Any]) -> TestServer:
    """A device that is the simulator, except for the OTA manifest it serves."""

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/ota_manifest.json":
            return web.json_response(manifest) if manifest else web.Response(status=404)
        async with (
            ClientSession() as session,
            session.request(
                request.method,
                f"{sim.url}{request.path_qs}",
                data=await request.read(),
                headers={
                    k: v
                    for k, v in request.headers.items()
                    if k in ("Authorization", "Content-Type")
                },
            ) as response,
        ):
            return web.Response(
                status=response.status,
                body=await response.read(),
                content_type=response.content_type,
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def _product(product_id: int, current: str, available: str) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "current_version": current,
        "available_version": available,
        "state": "IDLE",
        "progress_percent": 0,
        "up2date": current == available,
    }


async def test_several_products_each_get_an_entity(
    hass: HomeAssistant,
    start_sim: StartSim,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    sim = await start_sim()
    manifest = {"updates": [_product(1, "1.2.3", "1.2.4"), _product(7, "v6", "v6")]}
    server = await _with_manifest(sim, manifest)
    try:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "host": str(server.make_url("/"))}
        )
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await follow_up(hass)  # the manifest is read right after set-up
        first = hass.states.get("update.homevolt_firmware_product_1")
        second = hass.states.get("update.homevolt_firmware_product_7")
        assert (first.state, first.attributes[ATTR_LATEST_VERSION]) == (STATE_ON, "1.2.4")
        assert (second.state, second.attributes[ATTR_INSTALLED_VERSION]) == (STATE_OFF, "v6")
        assert first.name == "Homevolt Firmware (product 1)"
        # A product the manifest no longer lists is unavailable, not shown as it was.
        manifest["updates"] = manifest["updates"][:1]
        await _tick(hass, freezer, 30 * 60)
        assert hass.states.get("update.homevolt_firmware_product_7").state == STATE_UNAVAILABLE
        assert hass.states.get("update.homevolt_firmware_product_1").state == STATE_ON
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.close()


async def test_manifest_that_goes_missing_is_not_shown_as_it_was(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """A manifest read before that now answers 404 (e.g. mid-update): unavailable, then back."""
    sim = await start_sim()
    manifest: dict[str, Any] = {"updates": [_product(1, "1.2.3", "1.2.4")]}
    server = await _with_manifest(sim, manifest)
    try:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "host": str(server.make_url("/"))}
        )
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await follow_up(hass)  # the manifest is read right after set-up
        assert hass.states.get(FIRMWARE).state == STATE_ON
        manifest.clear()  # the stand-in answers 404 for an empty manifest
        await _tick(hass, freezer, 30 * 60)
        assert hass.states.get(FIRMWARE).state == STATE_UNAVAILABLE
        assert hass.states.get("sensor.homevolt_state_of_charge").state != STATE_UNAVAILABLE
        manifest["updates"] = [_product(1, "1.2.4", "1.2.4")]
        await _tick(hass, freezer, 30 * 60)
        state = hass.states.get(FIRMWARE)
        assert (state.state, state.attributes[ATTR_INSTALLED_VERSION]) == (STATE_OFF, "1.2.4")
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("flag", "available", "state", "latest"),
    [
        (True, "1.2.4", STATE_OFF, "1.2.3"),  # the battery says it is up to date: believed
        (False, "1.2.4", STATE_ON, "1.2.4"),
        (None, "1.2.4", STATE_ON, "1.2.4"),  # no flag: a different offered version is offered
        (None, "1.2.3", STATE_OFF, "1.2.3"),
        (False, "", STATE_OFF, "1.2.3"),  # nothing offered, whatever the flag says
        (None, "0.9", STATE_ON, "0.9"),  # versions are not compared: the device offered it
    ],
)
async def test_what_the_manifest_offers(
    hass: HomeAssistant,
    start_sim: StartSim,
    flag: bool | None,
    available: str,
    state: str,
    latest: str,
) -> None:
    sim = await start_sim()
    product = _product(1, "1.2.3", available)
    product.pop("up2date")
    if flag is not None:
        product["up2date"] = flag
    server = await _with_manifest(sim, {"updates": [product]})
    try:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, "host": str(server.make_url("/"))}
        )
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await follow_up(hass)  # the manifest is read right after set-up
        shown = hass.states.get(FIRMWARE)
        assert (shown.state, shown.attributes[ATTR_LATEST_VERSION]) == (state, latest)
        assert shown.attributes[ATTR_INSTALLED_VERSION] == "1.2.3"
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.close()


async def test_device_page_shows_the_firmware_installed_by_an_update(
    hass: HomeAssistant, start_sim: StartSim, freezer: FrozenDateTimeFactory
) -> None:
    """The device's firmware (its only other place since the firmware sensors went) follows."""
    sim = await start_sim()
    await control(sim, "ota", {"available": OFFERED, "state": "installing", "progress": 99.9})
    entry = await setup_entry(hass, entry_for(sim))
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        (DOMAIN, sim.system.units[0].ecu_hex), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == INSTALLED
    await control(sim, "clock", {"advance": 60})  # the simulated unit finishes the update
    for _ in range(21):  # status.json is read every 5 minutes
        await _tick(hass, freezer, 15)
    assert hass.states.get(FIRMWARE).attributes[ATTR_INSTALLED_VERSION] == OFFERED
    device = devices.async_get(device.id)
    assert device is not None
    assert device.sw_version == OFFERED
