"""The packages the demo's Home Assistant needs, read from the installed release itself.

`scripts/demo` runs Home Assistant with `--skip-pip`, so every integration it sets up must find
its requirements already installed. This prints them, one a line, pinned as that release's own
manifests pin them: the integrations Home Assistant sets up by default (its bootstrap's sets),
the ones the demo's configuration names, this integration, and everything they depend on.
Run it with the Python of the environment that holds the release.
"""

import json
from pathlib import Path
import sys

# The top-level keys of the demo's configuration.yaml (see demo/__main__.py); kept in step by
# tests/demo/test_ports.py.
DEMO_DOMAINS = {
    "homeassistant",
    "frontend",
    "config",
    "energy",
    "history",
    "logbook",
    "template",
    "automation",
    "logger",
}
OURS = Path(__file__).resolve().parent.parent / "custom_components" / "homevolt_local_api"


def manifest(components: Path, domain: str) -> dict[str, object]:
    path = OURS / "manifest.json" if domain == OURS.name else components / domain / "manifest.json"
    if not path.is_file():
        return {}
    result: dict[str, object] = json.loads(path.read_text())
    return result


def requirements() -> list[str]:
    import homeassistant  # noqa: PLC0415
    from homeassistant import bootstrap  # noqa: PLC0415

    components = Path(homeassistant.__file__).parent / "components"
    pending = (
        set(bootstrap.CORE_INTEGRATIONS)
        | set(bootstrap.DEFAULT_INTEGRATIONS)
        | DEMO_DOMAINS
        | {OURS.name}
    )
    seen: set[str] = set()
    found: set[str] = set()
    while pending:
        domain = pending.pop()
        if domain in seen:
            continue
        seen.add(domain)
        data = manifest(components, domain)
        found.update(str(r) for r in data.get("requirements", []))  # type: ignore[attr-defined]
        # after_dependencies too: they are imported when both are set up, and a missing
        # package then fails the set-up, since nothing is installed at runtime.
        for key in ("dependencies", "after_dependencies"):
            pending.update(str(d) for d in data.get(key, []))  # type: ignore[attr-defined]
    return sorted(found, key=str.lower)


if __name__ == "__main__":
    sys.stdout.write("".join(f"{line}\n" for line in requirements()))
