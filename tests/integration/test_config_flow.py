"""Every branch of the config flow, against the simulator."""

from datetime import timedelta
from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, UnknownHandler
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homevolt_local_api.const import CONF_VERIFY_SSL, CORE_DOMAIN, DOMAIN
from simulator.server import Simulator
from tests.integration.conftest import StartSim, entry_for, setup_entry


async def _user(hass: HomeAssistant, **user_input: Any) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def test_user_without_password(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(password=None)
    result = await _user(hass, host=sim.url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Homevolt"
    assert result["data"] == {CONF_HOST: sim.url, CONF_PASSWORD: None}
    assert result["result"].unique_id == sim.system.units[0].ecu_hex


async def test_user_with_password(hass: HomeAssistant, sim: Simulator) -> None:
    # Core's homevolt reads another battery: no reason to hold this one up.
    MockConfigEntry(
        domain=CORE_DOMAIN, unique_id="other", data={CONF_HOST: "192.0.2.9"}
    ).add_to_hass(hass)
    result = await _user(hass, host=sim.url, password="homevolt")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt"}


async def test_user_asked_for_password_on_401(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(backoff_base=0.0)
    result = await _user(hass, host=sim.url)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSWORD] == "homevolt"


async def test_user_wrong_password_given(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(backoff_base=0.0)
    result = await _user(hass, host=sim.url, password="wrong")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def _not_a_homevolt() -> TestServer:
    async def handler(_: web.Request) -> web.Response:
        return web.Response(text="<html>router</html>")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.mark.parametrize(
    ("host", "errors"),
    [
        # A host that reads as an address but does not answer is the connection's fault...
        ("http://127.0.0.1:1", {"base": "cannot_connect"}),
        # ...one that is not an address at all is the host field's.
        ("not a host", {CONF_HOST: "invalid_host"}),
        ("ftp://127.0.0.1", {CONF_HOST: "invalid_host"}),
        ("other", {"base": "invalid_response"}),
    ],
)
async def test_user_errors_then_recover(
    hass: HomeAssistant, sim: Simulator, host: str, errors: dict[str, str]
) -> None:
    server = await _not_a_homevolt()
    if host == "other":
        host = f"http://127.0.0.1:{server.port}"
    result = await _user(hass, host=host, password="homevolt")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await server.close()


async def test_user_unexpected_error(hass: HomeAssistant, sim: Simulator) -> None:
    with patch(
        "custom_components.homevolt_local_api.api.HomevoltClient.ems", side_effect=RuntimeError
    ):
        result = await _user(hass, host=sim.url, password="homevolt")
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_already_configured(hass: HomeAssistant, sim: Simulator) -> None:
    entry_for(sim).add_to_hass(hass)
    result = await _user(hass, host=sim.url, password="homevolt")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_https(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(https=True)
    result = await _user(hass, host=sim.url, password="homevolt")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "https"
    # Verifying the self-signed certificate fails...
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VERIFY_SSL: True}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # ...so the user turns verification off.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["step_id"] == "https"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt", CONF_VERIFY_SSL: False}


def _zeroconf(sim: Simulator, host: str = "127.0.0.1") -> ZeroconfServiceInfo:
    port = int(sim.url.rsplit(":", 1)[1])
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        hostname="homevolt-68b6b34cda94.local.",
        name="homevolt-68b6b34cda94._http._tcp.local.",
        port=port,
        type="_http._tcp.local.",
        properties={},
    )


def _zeroconf_port(port: int) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="homevolt-gone.local.",
        name="homevolt-gone._http._tcp.local.",
        port=port,
        type="_http._tcp.local.",
        properties={},
    )


async def test_zeroconf_without_password(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(password=None)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(sim)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == sim.url.removeprefix("http://")


async def test_zeroconf_with_password(hass: HomeAssistant, sim: Simulator) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(sim)
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zeroconf_updates_host_of_known_device(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    sim = await start_sim(password=None)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "192.0.2.1"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(sim)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == sim.url.removeprefix("http://")


async def test_zeroconf_known_host_and_unreachable(hass: HomeAssistant, sim: Simulator) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: sim.url.removeprefix("http://")}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(sim)
    )
    assert result["reason"] == "already_configured"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf_port(1)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_reauth(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(backoff_base=0.0)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "homevolt"
    await hass.async_block_till_done()  # the reload it started ends before the test


async def test_reauth_wrong_device(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    other = await start_sim(seed=2)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: other.url})
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_reconfigure(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim()
    other = await start_sim(seed=2)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "http://127.0.0.1:1", CONF_PASSWORD: "homevolt"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: other.url, CONF_PASSWORD: "homevolt"}
    )
    assert result["reason"] == "wrong_device"
    result = await entry.start_reconfigure_flow(hass)
    moved = sim.url.removeprefix("http://")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: moved, CONF_PASSWORD: "homevolt"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == moved
    await hass.async_block_till_done()  # the reload it started ends before the test


async def test_no_options_and_old_polling_option_dropped(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = entry_for(sim)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options={"scan_interval": 5},
        version=1,
        minor_version=1,
    )
    entity_registry = er.async_get(hass)
    entry.add_to_hass(hass)
    old = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{entry.unique_id}_unit_firmware", config_entry=entry
    )
    kept = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{entry.unique_id}_unit_state_of_charge", config_entry=entry
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.options == {}
    assert entry.minor_version == 2
    assert entry.runtime_data.coordinator.update_interval == timedelta(seconds=15)
    assert entity_registry.async_get(old.entity_id) is None
    assert entity_registry.async_get(kept.entity_id) is not None
    # Home Assistant's appropriate-polling: no interval to set.
    with pytest.raises(UnknownHandler):
        await hass.config_entries.options.async_init(entry.entry_id)


def _discovered(
    sim: Simulator, name: str = "homevolt-renamed", host: str = "127.0.0.1"
) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        hostname=f"{name}.local.",
        name=f"{name}._http._tcp.local.",
        port=int(sim.url.rsplit(":", 1)[1]),
        type="_http._tcp.local.",
        properties={},
    )


@pytest.mark.parametrize("password", ["wrong", None])
@pytest.mark.parametrize(
    "spelling", ["{url}", "{url}/", "{bare}", "https://{bare}", "Homevolt-{unit}.local"]
)
async def test_user_known_host_aborts_before_any_request(
    hass: HomeAssistant, sim: Simulator, password: str | None, spelling: str
) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    host = spelling.format(
        url=sim.url, bare=sim.url.removeprefix("http://"), unit=sim.system.units[0].ecu_hex
    )
    result = await _user(hass, host=host, **({CONF_PASSWORD: password} if password else {}))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(sim.requests.values()) == 0  # no password reached the battery's back-off
    assert entry.state is ConfigEntryState.LOADED


async def test_zeroconf_known_unit_by_mdns_name_at_new_address(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "192.0.2.1"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_discovered(sim, f"homevolt-{sim.system.units[0].ecu_hex.upper()}"),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == sim.url.removeprefix("http://")
    assert sum(sim.requests.values()) == 0


async def test_zeroconf_password_protected_known_host(hass: HomeAssistant, sim: Simulator) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: sim.url.removeprefix("http://")}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(sim.requests.values()) == 0


async def test_zeroconf_default_port(hass: HomeAssistant, sim: Simulator) -> None:
    # An entry whose host no longer parses is no match, and no reason to fail.
    MockConfigEntry(domain=DOMAIN, unique_id="y", data={CONF_HOST: "not a host"}).add_to_hass(hass)
    entry = MockConfigEntry(domain=DOMAIN, unique_id="x", data={CONF_HOST: "http://127.0.0.1"})
    entry.add_to_hass(hass)
    info = _discovered(sim)
    info.port = 80
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_zeroconf_ipv6(hass: HomeAssistant, sim: Simulator) -> None:
    port = int(sim.url.rsplit(":", 1)[1])
    entry = MockConfigEntry(domain=DOMAIN, unique_id="x", data={CONF_HOST: f"[::1]:{port}"})
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim, host="::1")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(sim.requests.values()) == 0


async def test_zeroconf_unknown_unit_named_by_mdns(hass: HomeAssistant, sim: Simulator) -> None:
    """A password-protected unit whose name carries its id: added once its password is given."""
    name = f"homevolt-{sim.system.units[0].ecu_hex}"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim, name)
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == sim.system.units[0].ecu_hex


def _core_entry(sim: Simulator, *, by_id: bool) -> MockConfigEntry:
    """Core's homevolt entry: keyed on the raw ecu_id (decimal on older firmware)."""
    unique_id = str(int(sim.system.units[0].ecu_hex, 16)) if by_id else "0"
    host = "192.0.2.7" if by_id else sim.url.removeprefix("http://")
    return MockConfigEntry(
        domain=CORE_DOMAIN,
        title="Homevolt (core)",
        unique_id=unique_id,
        data={CONF_HOST: host, CONF_PASSWORD: "homevolt"},
    )


@pytest.mark.parametrize("by_id", [True, False])
async def test_user_says_when_core_homevolt_has_the_unit(
    hass: HomeAssistant, sim: Simulator, by_id: bool
) -> None:
    _core_entry(sim, by_id=by_id).add_to_hass(hass)
    result = await _user(hass, host=sim.url, password="homevolt")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "core_homevolt"
    assert result["description_placeholders"] == {"host": sim.url, "title": "Homevolt (core)"}
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zeroconf_says_when_core_homevolt_has_the_unit(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    sim = await start_sim(password=None)
    _core_entry(sim, by_id=True).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim)
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "core_homevolt"


async def test_reconfigure_to_https(hass: HomeAssistant, start_sim: StartSim) -> None:
    sim = await start_sim(https=True)
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    http = sim.url.replace("https://", "http://")
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: http})
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt", CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt", CONF_VERIFY_SSL: False}
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "not a host", CONF_VERIFY_SSL: False}
    )
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    await hass.async_block_till_done()  # the reload it started ends before the test


async def test_reconfigure_blank_password_keeps_the_stored_one(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    moved = sim.url.removeprefix("http://")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: moved, CONF_VERIFY_SSL: False}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_HOST: moved, CONF_PASSWORD: "homevolt"}
    await hass.async_block_till_done()  # the reload it started ends before the test


async def test_zeroconf_same_unit_announced_twice(hass: HomeAssistant, sim: Simulator) -> None:
    name = f"homevolt-{sim.system.units[0].ecu_hex}"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim, name)
    )
    assert result["step_id"] == "zeroconf_confirm"
    requests = sum(sim.requests.values())
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim, name, "127.0.0.2")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    assert sum(sim.requests.values()) == requests


async def test_zeroconf_keeps_https_when_the_unit_moves(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    """mDNS announces plain http on port 80: a unit set up over https stays on https."""
    sim = await start_sim(https=True)
    port = int(sim.url.rsplit(":", 1)[1])
    entry = entry_for(sim, **{CONF_VERIFY_SSL: False})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: f"https://192.0.2.1:{port}"}
    )
    info = _discovered(sim, f"homevolt-{sim.system.units[0].ecu_hex}")
    info.port = 80
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == sim.url
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("stored", "followed"), [("{name}.local", "{name}.local"), ("not a host", "{bare}")]
)
async def test_zeroconf_keeps_the_mdns_name_the_owner_typed(
    hass: HomeAssistant, sim: Simulator, stored: str, followed: str
) -> None:
    """A host entered as the unit's mDNS name finds a new address by itself: it is not replaced."""
    name = f"homevolt-{sim.system.units[0].ecu_hex}"
    bare = sim.url.removeprefix("http://")
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: stored.format(name=name)}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim, name)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == followed.format(name=name, bare=bare)
    assert sum(sim.requests.values()) == 0


async def test_user_known_unit_at_an_https_address_keeps_its_certificate_choice(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    """The unit is added again as https:// (self-signed): its entry moves there, unverified."""
    sim = await start_sim(https=True)
    port = int(sim.url.rsplit(":", 1)[1])
    entry = entry_for(sim)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: f"localhost:{port}"}
    )
    result = await _user(hass, host=sim.url, password="homevolt")
    assert result["step_id"] == "https"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_HOST: sim.url, CONF_PASSWORD: "homevolt", CONF_VERIFY_SSL: False}
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_zeroconf_unit_known_only_after_its_password_keeps_https(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """An mDNS name without the unit's id: recognised after the password, still on https."""
    port = int(sim.url.rsplit(":", 1)[1])
    entry = entry_for(sim, **{CONF_VERIFY_SSL: False})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: f"https://192.0.2.1:{port}"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_discovered(sim)
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "homevolt"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == f"https://127.0.0.1:{port}"
    assert entry.data[CONF_VERIFY_SSL] is False


async def test_zeroconf_follower_of_a_configured_cluster(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    """Every unit of a cluster announces itself: one already read through its leader is known."""
    sim = await start_sim(units=2)
    entry = await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    info = _discovered(sim, f"homevolt-{sim.system.units[1].ecu_hex}")
    info.port = 1  # the follower's own address: not the leader's
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(sim.requests.values()) == 0
    assert entry.data[CONF_HOST] == sim.url
    assert entry.state is ConfigEntryState.LOADED


async def test_user_follower_of_a_configured_cluster_by_its_mdns_name(
    hass: HomeAssistant, start_sim: StartSim
) -> None:
    sim = await start_sim(units=2)
    await setup_entry(hass, entry_for(sim))
    sim.requests.clear()
    with patch(
        "custom_components.homevolt_local_api.api.HomevoltClient.ems", side_effect=RuntimeError
    ):
        result = await _user(
            hass, host=f"homevolt-{sim.system.units[1].ecu_hex}.local", password="wrong"
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sum(sim.requests.values()) == 0
