"""requirements_demo.txt against what the installed Home Assistant's own manifests ask for."""

from importlib.metadata import requires
from pathlib import Path
import re

from demo import requirements

ROOT = Path(__file__).resolve().parents[2]


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip()
        if match := re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", requirement):
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def test_demo_requirements_pin_what_the_release_needs() -> None:
    """Every package the demo's Home Assistant needs is pinned here or by the test environment.

    The demo runs Home Assistant with --skip-pip: a package missing here fails an integration's
    set-up, which the demo's check reports as a failed entry or an error.
    """
    needed = pins(requirements.requirements())
    demo_file = pins((ROOT / "requirements_demo.txt").read_text().splitlines())
    # What requirements_test.txt brings: Home Assistant and the test plugin, with their pins.
    tests = pins(requires("homeassistant") or []) | pins(
        requires("pytest-homeassistant-custom-component") or []
    )
    missing = {
        name: pinned
        for name, pinned in needed.items()
        if pinned not in (demo_file.get(name), tests.get(name))
    }
    assert missing == {}
    # And nothing stale: every line here is one the release's manifests name.
    assert {name: pinned for name, pinned in demo_file.items() if needed.get(name) != pinned} == {}
