"""The integration tests' fixtures, for benchmarks that drive Home Assistant."""

from tests.conftest import fixture_json
from tests.integration.conftest import _custom_integrations, start_sim

__all__ = ["_custom_integrations", "fixture_json", "start_sim"]
