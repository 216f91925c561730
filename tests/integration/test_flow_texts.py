"""Every flow's title and texts resolve: no placeholder left without a value, in any language."""

from pathlib import Path
import string
from typing import Any

from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN, repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homevolt_local_api.const import CONF_VERIFY_SSL, CORE_DOMAIN, DOMAIN
from tests.integration.conftest import StartSim
from tests.integration.test_config_flow import _discovered

LANGUAGES = sorted(
    p.stem for p in Path("custom_components/homevolt_local_api/translations").glob("*.json")
)
PREFIX = f"component.{DOMAIN}"


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Walk:
    """Checks each result of a walk through the flows against the translations."""

    def __init__(self, hass: HomeAssistant, language: str) -> None:
        self.hass = hass
        self.language = language
        self.text: dict[str, str] = {}
        self.seen: set[str] = set()

    async def load(self) -> None:
        for category in ("config", "issues"):
            self.text |= await async_get_translations(self.hass, self.language, category, [DOMAIN])

    def _resolves(self, key: str, placeholders: dict[str, Any] | None, required: bool) -> None:
        template = self.text.get(key)
        if template is None:
            assert not required, key
            return
        missing = _names(template) - set(placeholders or {})
        assert not missing, (self.language, key, missing)
        self.seen.add(key)

    def config(self, result: Any) -> Any:
        """Check a config flow result: its step's texts, its errors, its title in the list."""
        placeholders = result.get("description_placeholders")
        if result["type"] is FlowResultType.FORM:
            step = f"{PREFIX}.config.step.{result['step_id']}"
            self._resolves(f"{step}.description", placeholders, required=True)
            self._resolves(f"{step}.title", placeholders, required=False)
            for error in (result.get("errors") or {}).values():
                self._resolves(f"{PREFIX}.config.error.{error}", placeholders, required=True)
            flow = self.hass.config_entries.flow.async_get(result["flow_id"])
            context = flow["context"]
            if context["source"] != SOURCE_USER or "title_placeholders" in context:
                # The card in Settings shows flow_title with these placeholders.
                self._resolves(
                    f"{PREFIX}.config.flow_title", context.get("title_placeholders"), required=True
                )
        elif result["type"] is FlowResultType.ABORT:
            self._resolves(f"{PREFIX}.config.abort.{result['reason']}", placeholders, True)
        return result


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_flow_title_and_placeholder_resolves(
    hass: HomeAssistant, start_sim: StartSim, language: str
) -> None:
    walk = Walk(hass, language)
    await walk.load()
    flow = hass.config_entries.flow
    sim = await start_sim(backoff_base=0.0)
    https_sim = await start_sim(https=True, seed=2)

    # User: host, then the password it asks for, a wrong one, the right one.
    result = walk.config(await flow.async_init(DOMAIN, context={"source": SOURCE_USER}))
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_HOST: "no host"}))
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_HOST: sim.url}))
    assert result["step_id"] == "password"
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_PASSWORD: "x"}))
    assert result["errors"] == {"base": "invalid_auth"}
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_PASSWORD: "homevolt"}))
    entry = result["result"]
    # User again: the same host is already set up.
    result = walk.config(await flow.async_init(DOMAIN, context={"source": SOURCE_USER}))
    walk.config(await flow.async_configure(result["flow_id"], {CONF_HOST: sim.url}))

    # User, https, with core's homevolt already reading that battery.
    MockConfigEntry(
        domain=CORE_DOMAIN, title="Homevolt", data={CONF_HOST: https_sim.url}
    ).add_to_hass(hass)
    result = walk.config(await flow.async_init(DOMAIN, context={"source": SOURCE_USER}))
    result = walk.config(
        await flow.async_configure(
            result["flow_id"], {CONF_HOST: https_sim.url, CONF_PASSWORD: "homevolt"}
        )
    )
    assert result["step_id"] == "https"
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_VERIFY_SSL: False}))
    assert result["step_id"] == "core_homevolt"
    flow.async_abort(result["flow_id"])

    # Discovery of a third, password-protected battery.
    other = await start_sim(seed=3)
    result = walk.config(
        await flow.async_init(DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(other))
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = walk.config(await flow.async_configure(result["flow_id"], {}))
    assert result["step_id"] == "password"
    flow.async_abort(result["flow_id"])

    # Re-authentication and reconfiguration of the entry made above.
    # Started the way Home Assistant starts it, with the context it gives.
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    (reauth,) = flow.async_progress_by_handler(DOMAIN, match_context={"source": SOURCE_REAUTH})
    result = walk.config(await flow.async_configure(reauth["flow_id"]))
    result = walk.config(await flow.async_configure(result["flow_id"], {CONF_PASSWORD: "x"}))
    walk.config(await flow.async_configure(result["flow_id"], {CONF_PASSWORD: "homevolt"}))
    result = walk.config(
        await flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    result = walk.config(
        await flow.async_configure(
            result["flow_id"], {CONF_HOST: other.url, CONF_VERIFY_SSL: False}
        )
    )
    assert result["reason"] == "wrong_device"

    # The repair that turns local mode on.
    await hass.async_block_till_done()
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "idle", {"device_id": _device_id(hass, entry.entry_id)}, blocking=True
        )
    issue_id = f"local_mode_off_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_key is not None
    walk._resolves(
        f"{PREFIX}.issues.{issue.translation_key}.title", issue.translation_placeholders, True
    )
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    fix = f"{PREFIX}.issues.{issue.translation_key}.fix_flow.step.{result['step_id']}"
    walk._resolves(f"{fix}.description", result.get("description_placeholders"), True)
    walk._resolves(f"{fix}.title", result.get("description_placeholders"), False)

    # Every step of the config flow was shown at least once.
    steps = {key.split(".")[4] for key in walk.seen if ".config.step." in key}
    assert steps == {
        "user",
        "password",
        "https",
        "core_homevolt",
        "zeroconf_confirm",
        "reauth_confirm",
        "reconfigure",
    }


def _device_id(hass: HomeAssistant, entry_id: str) -> str:
    return dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)[0].id
