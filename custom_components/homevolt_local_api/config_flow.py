"""Config flow: host and optional password, https, zeroconf, reauth, reconfigure, options."""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio

from . import create_client
from .api import (
    HomevoltAuthenticationError,
    HomevoltConnectionError,
    HomevoltError,
    HomevoltResponseError,
    HomevoltValidationError,
    normalize_host,
)
from .const import (
    CONF_SCAN_INTERVAL,
    CONF_VERIFY_SSL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class ProbeError(Exception):
    """Probing failed; `error` is the translation key of the form error."""

    def __init__(self, error: str) -> None:
        """Remember the error key."""
        super().__init__(error)
        self.error = error


class HomevoltConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Homevolt: probe it before anything is saved, keyed on the leader unit's id."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: unit ids normalised (see async_migrate_entry)

    def __init__(self) -> None:
        """Start with nothing known."""
        self._data: dict[str, Any] = {}

    async def _probe(self, data: dict[str, Any]) -> str:
        """The system id (leader ecu_id) at these settings, or ProbeError."""
        try:
            ems = await create_client(self.hass, data).ems()
        except HomevoltValidationError as err:
            raise ProbeError("invalid_host") from err
        except HomevoltAuthenticationError as err:
            raise ProbeError("invalid_auth") from err
        except HomevoltConnectionError as err:
            raise ProbeError("cannot_connect") from err
        except HomevoltResponseError as err:
            raise ProbeError("invalid_response") from err
        except HomevoltError as err:
            raise ProbeError("cannot_connect") from err
        except Exception as err:
            LOGGER.exception("Unexpected error while probing the Homevolt")
            raise ProbeError("unknown") from err
        return ems.leader.ecu_id

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
            self._data = {
                CONF_HOST: user_input[CONF_HOST].strip(),
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or None,
            }
            try:
                https = normalize_host(self._data[CONF_HOST]).scheme == "https"
            except HomevoltValidationError:
                errors[CONF_HOST] = "invalid_host"
            else:
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
        await self.async_set_unique_id(system_id)
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._data[CONF_HOST]})
        return self.async_create_entry(title="Homevolt", data=self._data)

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
        """A Homevolt announced itself on the network."""
        host = discovery_info.host
        if ":" in host:
            host = f"[{host}]"
        if discovery_info.port and discovery_info.port != 80:
            host = f"{host}:{discovery_info.port}"
        self._data = {CONF_HOST: host, CONF_PASSWORD: None}
        self._async_abort_entries_match({CONF_HOST: host})
        try:
            system_id = await self._probe(self._data)
        except ProbeError as err:
            if err.error != "invalid_auth":
                return self.async_abort(reason=err.error)
        else:
            await self.async_set_unique_id(system_id)
            # A known unit at a new address: follow it.
            self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        self.context["title_placeholders"] = {"host": host}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding the discovered Homevolt (with its password when it has one)."""
        if user_input is not None:
            if self.unique_id is not None:
                return self.async_create_entry(title="Homevolt", data=self._data)
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
        """Change the host or password of this Homevolt."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_HOST: user_input[CONF_HOST].strip(),
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or None,
            }
            try:
                return await self._update_entry(entry, data)
            except ProbeError as err:
                errors["base"] = err.error
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._user_schema(entry.data), {CONF_HOST: entry.data[CONF_HOST]}
            ),
            errors=errors,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HomevoltOptionsFlow:
        """How often to poll."""
        return HomevoltOptionsFlow()


class HomevoltOptionsFlow(OptionsFlowWithReload):
    """The polling interval."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the polling interval."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL])}
            )
        current = self.config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_SCAN_INTERVAL, default=current): NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=MAX_SCAN_INTERVAL,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )
