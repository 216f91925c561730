"""services.yaml, icons.json, strings.json and translations, loaded by Home Assistant itself."""

import ast
import logging
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.homevolt_local_api.const import DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import entry_for, setup_entry

PACKAGE = Path("custom_components/homevolt_local_api")
LANGUAGES = sorted(path.stem for path in (PACKAGE / "translations").glob("*.json"))
CATEGORIES = (
    "config",
    "device",
    "entity",
    "exceptions",
    "issues",
    "options",
    "selector",
    "services",
)
PREFIX = f"component.{DOMAIN}"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


async def _translations(hass: HomeAssistant, language: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for category in CATEGORIES:
        found |= await async_get_translations(hass, language, category, [DOMAIN])
    return found


def _raised_translations() -> dict[str, set[str]]:
    """Every translation_key the integration's code passes, with its placeholder names."""
    raised: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            domain = keywords.get("translation_domain")
            key = keywords.get("translation_key")
            if not (isinstance(domain, ast.Name) and domain.id == "DOMAIN"):
                continue
            assert isinstance(key, ast.Constant), f"{path}:{node.lineno}: a computed key"
            names: set[str] = set()
            placeholders = keywords.get("translation_placeholders")
            if isinstance(placeholders, ast.Dict):
                names = {k.value for k in placeholders.keys if isinstance(k, ast.Constant)}
            raised.setdefault(str(key.value), set()).update(names)
    return raised


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_home_assistant_loads_everything_without_a_warning(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    entry = await setup_entry(hass, entry_for(sim))

    # Actions: every registered action has its description from services.yaml with all the
    # fields its schema accepts, each with a selector.
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    services = hass.services.async_services_internal()[DOMAIN]
    assert set(descriptions) == set(services)
    fields_of: dict[str, set[str]] = {}
    for name, service in services.items():
        assert service.schema is not None
        accepted = {str(key) for key in service.schema.schema}
        described = descriptions[name]["fields"]
        assert set(described) == accepted, name
        for field, spec in described.items():
            assert "selector" in spec, (name, field)
        fields_of[name] = accepted

    service_icons = (await async_get_icons(hass, "services", [DOMAIN]))[DOMAIN]
    assert set(service_icons) == set(services)
    assert all(icon["service"].startswith("mdi:") for icon in service_icons.values())
    entity_icons = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]

    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    raised = _raised_translations()
    assert {"invalid_auth", "update_failed", "local_mode_off", "device_not_found"} <= set(raised)

    for language in LANGUAGES:
        text = await _translations(hass, language)
        for name, fields in fields_of.items():
            assert text.get(f"{PREFIX}.services.{name}.name"), (language, name)
            assert text.get(f"{PREFIX}.services.{name}.description"), (language, name)
            for field in fields:
                assert text.get(f"{PREFIX}.services.{name}.fields.{field}.name"), (
                    language,
                    name,
                    field,
                )
            for field, spec in descriptions[name]["fields"].items():
                select: dict[str, Any] = spec["selector"].get("select") or {}
                if key := select.get("translation_key"):
                    for option in select["options"]:
                        assert text.get(f"{PREFIX}.selector.{key}.options.{option}"), (
                            language,
                            field,
                            option,
                        )
        # Every entity's name resolves (its placeholders are filled: see below).
        for entity in entities:
            name = text.get(f"{PREFIX}.entity.{entity.domain}.{entity.translation_key}.name")
            assert name, (language, entity.entity_id)
        # Every icon belongs to a translated entity or state.
        for platform, keys in entity_icons.items():
            for key, icon in keys.items():
                assert text.get(f"{PREFIX}.entity.{platform}.{key}.name"), (language, key)
                for state in icon.get("state", {}):
                    if platform in ("sensor", "select"):
                        assert text.get(f"{PREFIX}.entity.{platform}.{key}.state.{state}"), (
                            language,
                            key,
                            state,
                        )
        # Every exception and issue the code raises has a message with exactly its placeholders.
        for key, names in raised.items():
            message = text.get(f"{PREFIX}.exceptions.{key}.message") or text.get(
                f"{PREFIX}.issues.{key}.title"
            )
            assert message, (language, key)
            assert _placeholders(message) <= names, (language, key)
        # Device names were rendered from translations, not left as their keys.
        for device in devices:
            assert device.name, device.identifiers
            assert not re.search(r"\{\w+\}", device.name), device.name

    for entity in entities:
        state = hass.states.get(entity.entity_id)
        assert state is not None, entity.entity_id
        assert not re.search(r"\{\w+\}", state.name), entity.entity_id
    assert [r.getMessage() for r in caplog.records if _ours(r)] == []


def _ours(record: logging.LogRecord) -> bool:
    """A warning or worse, except the two every custom integration in this environment gets."""
    if record.levelno < logging.WARNING:
        return False
    if record.name == "aiohttp_fast_zlib":
        return False  # the test environment lacks zlib_ng
    if record.name == "asyncio" and "took" in record.getMessage():
        return False  # asyncio's debug mode timing a slow step on this shared machine
    if record.name.startswith("homeassistant.components.") and not record.name.startswith(
        "homeassistant.components.homevolt_local_api"
    ):
        return False  # another integration's own complaint (e.g. camera without libturbojpeg)
    return not (
        record.name == "homeassistant.loader"
        and "has not been tested by Home Assistant" in record.msg
    )
