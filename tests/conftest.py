"""Shared fixtures."""

import json
from pathlib import Path
from typing import Any

import pytest

# Import our package before Home Assistant's loader resolves `custom_components`, or it finds
# the test plugin's own testing config instead and reports "Integration not found".
from custom_components.homevolt_local_api.const import DOMAIN  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fixture_json():
    return load_fixture
