"""Fixtures for the soak: load our integration before Home Assistant looks for it."""

# Import our package before the loader resolves `custom_components` (see tests/conftest.py).
from custom_components.homevolt_local_api.const import DOMAIN  # noqa: F401
