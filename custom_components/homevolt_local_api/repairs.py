"""The fix for "local mode is off": turn it on."""

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError


class LocalModeRepairFlow(RepairsFlow):
    """Turn local mode on, so that the Tibber cloud stops replacing local schedules."""

    def __init__(self, entry_id: str) -> None:
        """Fix the entry with this id."""
        self.entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain, then turn local mode on."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self.entry_id)
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                return self.async_abort(reason="not_loaded")
            try:
                await entry.runtime_data.control.set_local_mode(True)
            except HomeAssistantError:
                errors["base"] = "cannot_enable"
            else:
                return self.async_create_entry(data={})
        return self.async_show_form(step_id="confirm", errors=errors)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of an issue this integration raised."""
    if data and isinstance(entry_id := data.get("entry_id"), str):
        return LocalModeRepairFlow(entry_id)
    return ConfirmRepairFlow()
