"""Config flow: host and optional password, https, zeroconf, reauth, reconfigure."""

from collections.abc import Mapping
import re
from typing import Any, override

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio
from yarl import URL

from . import create_client
from .api import (
    HomevoltAuthenticationError,
    HomevoltConnectionError,
    HomevoltResponseError,
    HomevoltValidationError,
    normalize_host,
)
from .const import CONF_VERIFY_SSL, CORE_DOMAIN, DOMAIN, LOGGER

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

# The vendor's hostname is homevolt-<deviceid>.local; in its samples the id is the unit's ecu_id.
_MDNS_UNIT_ID = re.compile(r"^homevolt-([0-9a-f]{12})(?:\.|$)", re.IGNORECASE)


class ProbeError(Exception):
    """Probing failed; `error` is the translation key of the form error."""

    def __init__(self, error: str) -> None:
        """Remember the error key."""
        super().__init__(error)
        self.error = error


def host_key(host: object) -> tuple[str, int | None] | None:
    """What identifies an address: the host and an explicit port (the scheme does not)."""
    try:
        url = normalize_host(str(host))
    except HomevoltValidationError:
        return None
    return (str(url.host).lower(), url.explicit_port)


def announced_host(host: str, port: int | None) -> str:
    """The address a zeroconf announcement gives, as an owner would type it."""
    bracketed = f"[{host}]" if ":" in host else host
    return f"{bracketed}:{port}" if port and port != 80 else bracketed


def followed_host(entry_host: object, host: str, port: int | None, hostname: str) -> str:
    """An entry's address once its unit is discovered at `host`: its https, port and name kept."""
    try:
        url = normalize_host(str(entry_host)) if entry_host else None
    except HomevoltValidationError:
        url = None
    if url is not None and url.host and url.host.lower() == hostname.rstrip(".").lower():
        return str(entry_host)  # the mDNS name the owner typed finds the new address itself
    if url is not None and url.scheme == "https":
        # The announced port is plain http's; a unit that takes commands only over https keeps it.
        return str(URL.build(scheme="https", host=host, port=url.explicit_port))
    return announced_host(host, port)


def unit_id(value: object) -> str | None:
    """A unit id as 12 lowercase hex digits (older firmware, and core's entries, use decimal)."""
    text = str(value or "").strip().lower()
    if re.fullmatch(r"[0-9a-f]{12}", text):
        return text
    if text.isdigit():
        return f"{int(text):012x}"
    return None


class HomevoltConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Homevolt: probe it before anything is saved, keyed on the leader unit's id."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: unit ids normalised (see async_migrate_entry)

    def __init__(self) -> None:
        """Start with nothing known."""
        self._data: dict[str, Any] = {}
        self._core_entry: ConfigEntry | None = None
        self._system_id: str | None = None  # known when discovery could read without a password
        self._discovery: ZeroconfServiceInfo | None = None

    def _set_host(self, host: str) -> None:
        self._data[CONF_HOST] = host
        self.context["title_placeholders"] = {"host": host}

    async def _probe(self, data: dict[str, Any]) -> str:
        """The system id at these settings (its configured id, else the leader's), or ProbeError."""
        try:
            ems = await create_client(self.hass, data).ems()
        except HomevoltAuthenticationError as err:
            raise ProbeError("invalid_auth") from err
        except HomevoltConnectionError as err:
            raise ProbeError("cannot_connect") from err
        except HomevoltResponseError as err:
            raise ProbeError("invalid_response") from err
        except Exception as err:  # hosts are validated before: nothing else is expected
            LOGGER.exception("Unexpected error while probing the Homevolt")
            raise ProbeError("unknown") from err
        # After another unit took the lead, a configured system is still known by the id it was
        # set up with: any of its units may be that one.
        units = {unit.ecu_id for unit in ems.units}
        for entry in self._async_current_entries(include_ignore=False):
            if entry.unique_id in units:
                return entry.unique_id
        return ems.leader.ecu_id

    def _abort_if_host_configured(self, host: str) -> None:
        """Abort when an entry already reads this address: decided before any password is sent."""
        key = host_key(host)
        # homevolt-<id>.local names its unit: a configured one is known by that alone.
        named = _MDNS_UNIT_ID.match(key[0]) if key else None
        unit = named.group(1).lower() if named else None
        for entry in self._async_current_entries(include_ignore=False):
            if host_key(entry.data.get(CONF_HOST)) == key or (unit and entry.unique_id == unit):
                raise AbortFlow("already_configured")
        if unit:
            self._abort_if_unit_of_a_configured_system(unit)

    def _find_core_entry(self, system_id: str) -> ConfigEntry | None:
        """Core's homevolt entry for the same unit or address, if it has one."""
        key, unit = host_key(self._data[CONF_HOST]), unit_id(system_id)
        for entry in self.hass.config_entries.async_entries(CORE_DOMAIN, include_ignore=False):
            same_unit = unit is not None and unit_id(entry.unique_id) == unit
            if same_unit or host_key(entry.data.get(CONF_HOST)) == key:
                return entry
        return None

    def _user_schema(self, defaults: Mapping[str, Any]) -> probatio.Schema:
        return probatio.Schema(
            {
                probatio.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str,
                probatio.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
            }
        )

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the host and, optionally, the password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._data = {CONF_PASSWORD: user_input.get(CONF_PASSWORD) or None}
            self._set_host(user_input[CONF_HOST].strip())
            try:
                https = normalize_host(self._data[CONF_HOST]).scheme == "https"
            except HomevoltValidationError:
                errors[CONF_HOST] = "invalid_host"
            else:
                self._abort_if_host_configured(self._data[CONF_HOST])
                if https:
                    return await self.async_step_https()
                return await self._create_or_ask_password(errors)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                self._user_schema(user_input or {}), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_https(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """For an https:// host: whether to verify the device's (self-signed) certificate."""
        if user_input is not None:
            self._data[CONF_VERIFY_SSL] = user_input[CONF_VERIFY_SSL]
            return await self._create_or_ask_password({})
        return self.async_show_form(
            step_id="https",
            data_schema=probatio.Schema({probatio.Required(CONF_VERIFY_SSL, default=False): bool}),
            description_placeholders={"host": self._data[CONF_HOST]},
        )

    async def _create_or_ask_password(self, errors: dict[str, str]) -> ConfigFlowResult:
        try:
            system_id = await self._probe(self._data)
        except ProbeError as err:
            if err.error == "invalid_auth" and not self._data.get(CONF_PASSWORD):
                return await self.async_step_password()
            errors["base"] = err.error
            return self.async_show_form(
                step_id="user",
                data_schema=self.add_suggested_values_to_schema(
                    self._user_schema(self._data), {CONF_HOST: self._data[CONF_HOST]}
                ),
                errors=errors,
            )
        return await self._create(system_id)

    async def _create(self, system_id: str) -> ConfigFlowResult:
        await self.async_set_unique_id(system_id, raise_on_progress=False)
        self._abort_if_known_unit_moved()
        self._core_entry = self._find_core_entry(system_id)
        if self._core_entry is not None:
            return await self.async_step_core_homevolt()
        return self.async_create_entry(title="Homevolt", data=self._data)

    async def async_step_core_homevolt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Core's homevolt already polls this battery: say so before adding a second poller."""
        if user_input is not None:
            return self.async_create_entry(title="Homevolt", data=self._data)
        assert self._core_entry is not None
        return self.async_show_form(
            step_id="core_homevolt",
            description_placeholders={
                "host": self._data[CONF_HOST],
                "title": self._core_entry.title,
            },
        )

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The device wants a password: ask for it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._data[CONF_PASSWORD] = user_input[CONF_PASSWORD]
            try:
                system_id = await self._probe(self._data)
            except ProbeError as err:
                errors["base"] = err.error
            else:
                return await self._create(system_id)
        return self.async_show_form(
            step_id="password",
            data_schema=probatio.Schema({probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR}),
            errors=errors,
            description_placeholders={"host": self._data[CONF_HOST]},
        )

    @override
    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A Homevolt announced itself: recognise it before anything needs the password."""
        self._discovery = discovery_info
        host = announced_host(discovery_info.host, discovery_info.port)
        self._data = {CONF_PASSWORD: None}
        self._set_host(host)
        self._abort_if_host_configured(host)
        for name in (discovery_info.hostname, discovery_info.name):
            if match := _MDNS_UNIT_ID.match(name):
                self._abort_if_unit_of_a_configured_system(match.group(1).lower())
                await self.async_set_unique_id(match.group(1).lower())
                # A known unit at a new address: follow it.
                self._abort_if_known_unit_moved()
                break
        try:
            # No credentials: a challenge, which the device's login back-off does not count.
            system_id = await self._probe(self._data)
        except ProbeError as err:
            if err.error != "invalid_auth":
                return self.async_abort(reason=err.error)
        else:
            await self.async_set_unique_id(system_id, raise_on_progress=False)
            self._abort_if_known_unit_moved()
            self._system_id = system_id
        return await self.async_step_zeroconf_confirm()

    def _abort_if_unit_of_a_configured_system(self, unit: str) -> None:
        """A cluster's follower announces itself too: its system is read through the leader."""
        devices = dr.async_get(self.hass)
        for entry in self._async_current_entries(include_ignore=False):
            if entry.unique_id != unit and devices.async_get_device_by_identifier(
                (DOMAIN, unit), entry.entry_id
            ):
                raise AbortFlow("already_configured")

    def _abort_if_known_unit_moved(self) -> None:
        """Abort for a configured unit, pointing its entry at the address it was just found at."""
        assert self.unique_id is not None
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, self.unique_id)
        if entry is None:
            return
        updates: dict[str, Any]
        if (info := self._discovery) is not None:
            moved = followed_host(entry.data.get(CONF_HOST), info.host, info.port, info.hostname)
            updates = {CONF_HOST: moved}
        else:
            # The address the owner typed just read the unit: with the certificate choice made.
            updates = {k: self._data[k] for k in (CONF_HOST, CONF_VERIFY_SSL) if k in self._data}
        self._abort_if_unique_id_configured(updates=updates)

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding the discovered Homevolt (with its password when it has one)."""
        if user_input is not None:
            if self._system_id is not None:
                return await self._create(self._system_id)
            return await self.async_step_password()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="zeroconf_confirm", description_placeholders={"host": self._data[CONF_HOST]}
        )

    async def _update_entry(self, entry: ConfigEntry, data: dict[str, Any]) -> ConfigFlowResult:
        """Probe new settings for an existing entry: the same device, or abort."""
        await self.async_set_unique_id(await self._probe(data))
        self._abort_if_unique_id_mismatch(reason="wrong_device")
        return self.async_update_reload_and_abort(entry, data=data)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The device refused the stored password."""
        self.context["title_placeholders"] = {"host": entry_data[CONF_HOST]}
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_PASSWORD: user_input.get(CONF_PASSWORD) or None}
            try:
                return await self._update_entry(entry, data)
            except ProbeError as err:
                errors["base"] = err.error
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Optional(CONF_PASSWORD): PASSWORD_SELECTOR}),
            errors=errors,
            description_placeholders={"host": entry.data[CONF_HOST]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the host or password of this Homevolt; a blank password keeps the stored one."""
        entry = self._get_reconfigure_entry()
        self.context["title_placeholders"] = {"host": entry.data[CONF_HOST]}
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            data = {
                **entry.data,
                CONF_HOST: host,
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or entry.data.get(CONF_PASSWORD),
            }
            data.pop(CONF_VERIFY_SSL, None)
            try:
                if normalize_host(host).scheme == "https":
                    data[CONF_VERIFY_SSL] = user_input[CONF_VERIFY_SSL]
            except HomevoltValidationError:
                errors[CONF_HOST] = "invalid_host"
            else:
                try:
                    return await self._update_entry(entry, data)
                except ProbeError as err:
                    errors["base"] = err.error
        defaults = user_input or entry.data
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._user_schema(defaults).extend(
                    {
                        probatio.Required(
                            CONF_VERIFY_SSL, default=bool(defaults.get(CONF_VERIFY_SSL, False))
                        ): bool
                    }
                ),
                {CONF_HOST: defaults[CONF_HOST]},
            ),
            errors=errors,
        )
