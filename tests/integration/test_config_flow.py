"""Every branch of the config flow, against the simulator."""

from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest

from custom_components.homevolt_local_api.const import CONF_SCAN_INTERVAL, CONF_VERIFY_SSL, DOMAIN
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
    ("host", "error"),
    [
        ("http://127.0.0.1:1", "cannot_connect"),
        ("not a host", "invalid_host"),
        ("ftp://127.0.0.1", "invalid_host"),
        ("other", "invalid_response"),
    ],
)
async def test_user_errors_then_recover(
    hass: HomeAssistant, sim: Simulator, host: str, error: str
) -> None:
    server = await _not_a_homevolt()
    if host == "other":
        host = f"http://127.0.0.1:{server.port}"
    result = await _user(hass, host=host, password="homevolt")
    assert result["type"] is FlowResultType.FORM
    errors = result["errors"]
    assert errors in ({"base": error}, {CONF_HOST: error})
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


async def test_options(hass: HomeAssistant, sim: Simulator) -> None:
    entry = await setup_entry(hass, entry_for(sim))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {CONF_SCAN_INTERVAL: 30}
    assert entry.runtime_data.coordinator.update_interval is not None
    assert entry.runtime_data.coordinator.update_interval.total_seconds() == 30
