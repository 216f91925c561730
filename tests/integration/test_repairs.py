"""The repair for "local mode is off": it turns local mode on, or says why it could not."""

from homeassistant.components.repairs import (
    DOMAIN as REPAIRS_DOMAIN,
    ConfirmRepairFlow,
    repairs_flow_manager,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from custom_components.homevolt_local_api.repairs import async_create_fix_flow
from simulator.server import Simulator
from tests.integration.conftest import control, entry_for, setup_entry


async def _raise_issue(hass: HomeAssistant, sim: Simulator) -> str:
    """Use a control while local mode is off: refused, with a repair issue."""
    entry = await setup_entry(hass, entry_for(sim))
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.homevolt_battery_mode", "option": "idle"},
            blocking=True,
        )
    assert caught.value.translation_key == "local_mode_off"
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    issue_id = f"local_mode_off_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    return issue_id


async def test_repair_says_when_the_battery_does_not_turn_local_mode_on(
    hass: HomeAssistant, sim: Simulator
) -> None:
    issue_id = await _raise_issue(hass, sim)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    await control(sim, "faults", {"error": 1.0})
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_enable"}
    assert not sim.system.local_mode
    await control(sim, "faults", {"error": 0.0})
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.system.local_mode


async def test_repair_of_an_unloaded_entry_aborts(hass: HomeAssistant, sim: Simulator) -> None:
    issue_id = await _raise_issue(hass, sim)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.config_entries.async_unload(entry.entry_id)
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"
    assert not sim.system.local_mode


async def test_issue_without_its_entry_gets_a_plain_confirmation(hass: HomeAssistant) -> None:
    assert isinstance(await async_create_fix_flow(hass, "other", None), ConfirmRepairFlow)
