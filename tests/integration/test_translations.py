"""Every user-visible string exists in every language, with the same placeholders."""

import json
from pathlib import Path
import re

import pytest

from custom_components.homevolt_local_api import binary_sensor, number, select, sensor, switch

TRANSLATIONS = Path("custom_components/homevolt_local_api/translations")
ENGLISH = json.loads((TRANSLATIONS / "en.json").read_text())
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json"))


def _leaves(node: object, path: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        found: dict[str, str] = {}
        for key, value in node.items():
            found |= _leaves(value, f"{path}/{key}")
        return found
    assert isinstance(node, str), path
    return {path: node}


def test_languages() -> None:
    assert LANGUAGES == ["da", "de", "en", "fi", "nb", "nl", "sv"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_and_placeholders(language: str) -> None:
    english = _leaves(ENGLISH)
    other = _leaves(json.loads((TRANSLATIONS / f"{language}.json").read_text()))
    assert set(other) == set(english)
    for key, text in english.items():
        assert sorted(re.findall(r"\{\w+\}", other[key])) == sorted(re.findall(r"\{\w+\}", text)), (
            key
        )
        assert other[key].strip(), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_action_field_is_described_in_words(language: str) -> None:
    # The action editor shows this line under each field: a bare unit ("W.") tells an owner nothing.
    services = json.loads((TRANSLATIONS / f"{language}.json").read_text())["services"]
    for service, texts in services.items():
        for field, text in texts["fields"].items():
            words = re.findall(r"[^\W\d_]{2,}", text["description"])
            assert len(words) >= 2, (service, field, text["description"])


def test_strings_json_is_english() -> None:
    strings = json.loads(Path("custom_components/homevolt_local_api/strings.json").read_text())
    assert strings == ENGLISH


def test_every_entity_and_error_is_translated() -> None:
    entity = ENGLISH["entity"]
    descriptions = {
        "sensor": [
            *sensor.SYSTEM_SENSORS,
            *sensor.LEADER_SENSORS,
            *sensor.UNIT_SENSORS,
            *sensor.UNIT_SHARE_SENSORS,
            *sensor.MODULE_SENSORS,
            *sensor.CLAMP_SENSORS,
        ],
        "binary_sensor": [
            *binary_sensor.LEADER_BINARY_SENSORS,
            *binary_sensor.UNIT_BINARY_SENSORS,
            *binary_sensor.CLAMP_BINARY_SENSORS,
        ],
        "number": list(number.NUMBERS),
        "select": [select.BATTERY_MODE],
        "switch": [switch.LOCAL_MODE],
    }
    for platform, items in descriptions.items():
        for description in items:
            assert description.translation_key in entity[platform], description.key
            states = entity[platform][description.translation_key].get("state")
            for option in getattr(description, "options", None) or []:
                assert states and option in states, (description.key, option)
    devices = Path("custom_components/homevolt_local_api/entity.py").read_text()
    key_lines = [line for line in devices.splitlines() if "translation_key" in line]
    device_keys = {key for line in key_lines for key in re.findall(r'"(\w+)"', line)}
    device_keys.discard("translation_key")
    device_keys |= set(re.findall(r'"(\w+_clamp)"', devices))
    assert device_keys >= {"system", "unit", "module", "unit_module", "grid_clamp"}
    assert device_keys <= set(ENGLISH["device"])
    # Raised exception keys are checked through Home Assistant's loader in test_loaders.py.
