"""Devices and the base entity: one device per unit, module and CT clamp, and the system."""

from collections.abc import Callable, Sequence
import functools
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import BatteryModule, CtSensor, Schedule, SensorFunction, Unit
from .const import DOMAIN, MANUFACTURER
from .coordinator import HomevoltCoordinator, HomevoltData

if TYPE_CHECKING:
    from .control import HomevoltControl
    from .coordinator import HomevoltConfigEntry


def is_clamp(sensor: CtSensor) -> bool:
    """Whether a sensor is a physical clamp (the load and battery meters are computed)."""
    return (
        sensor.function not in (SensorFunction.LOAD, SensorFunction.BATTERY)
        and not sensor.is_empty_slot
    )


def clamps(data: HomevoltData) -> list[CtSensor]:
    """The physical clamps, each once (a repeated key would give duplicate unique ids)."""
    found: dict[str, CtSensor] = {}
    for sensor in data.ems.sensors:
        if is_clamp(sensor):
            found.setdefault(sensor.key, sensor)
    return list(found.values())


def unit_identifier(unit: Unit) -> tuple[str, str]:
    """The device of a unit."""
    return (DOMAIN, unit.ecu_id)


def cluster_system_identifier(system_id: str) -> tuple[str, str]:
    """The device carrying a cluster's totals."""
    return (DOMAIN, f"{system_id}_system")


def system_identifier(data: HomevoltData) -> tuple[str, str]:
    """The system device of a cluster; a single unit is its own system."""
    if data.cluster:
        return cluster_system_identifier(data.system_id)
    return unit_identifier(data.ems.leader)


def module_identifier(unit: Unit, module: BatteryModule) -> tuple[str, str]:
    """The device of a battery module."""
    return (DOMAIN, f"{unit.ecu_id}_module_{module.index}")


def clamp_identifier(data: HomevoltData, sensor: CtSensor) -> tuple[str, str]:
    """The device of a CT clamp."""
    return (DOMAIN, f"{data.system_id}_{sensor.key}")


def current_device_identifiers(data: HomevoltData) -> set[tuple[str, str]]:
    """Every device the data describes now."""
    found = {system_identifier(data)}
    for unit in data.ems.units:
        found.add(unit_identifier(unit))
        found.update(module_identifier(unit, module) for module in unit.modules)
    found.update(clamp_identifier(data, sensor) for sensor in clamps(data))
    return found


def _unit_number(coordinator: HomevoltCoordinator, unit: Unit) -> str:
    """A unit's number: the leader (when the system was set up) is 1, the others follow by id.

    Units missing from this poll count too, so that one dropping out (also at a restart) does
    not renumber the rest; another unit taking the lead renumbers nothing either.
    """
    data = coordinator.data
    registry = dr.async_get(coordinator.hass)
    units = {each.ecu_id for each in data.ems.units} | {
        value
        for device in dr.async_entries_for_config_entry(registry, coordinator.config_entry.entry_id)
        for domain, value in device.identifiers
        if domain == DOMAIN and "_" not in value  # a unit's identifier is its bare id
    }
    first = data.system_id if data.system_id in units else data.ems.leader.ecu_id
    if unit.ecu_id == first:
        return "1"
    return str(sorted(units - {first}).index(unit.ecu_id) + 2)


def _device_id(coordinator: HomevoltCoordinator, identifier: tuple[str, str]) -> str:
    return dr.async_get_device_id_by_identifier(
        coordinator.hass, identifier, config_entry_id=coordinator.config_entry.entry_id
    )


def unit_device_info(coordinator: HomevoltCoordinator, unit: Unit) -> DeviceInfo:
    """A unit's device; in a cluster, part of the system device."""
    data = coordinator.data
    info = DeviceInfo(
        identifiers={unit_identifier(unit)},
        manufacturer=MANUFACTURER,
        model=f"Homevolt {unit.model}" if unit.model else "Homevolt",
        name="Homevolt",
        serial_number=unit.ecu_id,
        sw_version=unit.firmware,
    )
    if data.cluster:
        info["translation_key"] = "unit"
        info["translation_placeholders"] = {"number": _unit_number(coordinator, unit)}
    if unit.is_leader:
        info["configuration_url"] = str(coordinator.client.base_url)
        if data.status and data.status.esp_firmware:
            info["sw_version"] = data.status.esp_firmware
        if data.status and data.status.radio_firmware:
            # Device info has no field for a second firmware; the radio module's goes here.
            info["hw_version"] = f"Radio {data.status.radio_firmware}"
    if data.cluster:
        info["via_device_id"] = _device_id(coordinator, system_identifier(data))
    return info


def system_device_info(coordinator: HomevoltCoordinator) -> DeviceInfo:
    """The device carrying the system's totals: the unit itself unless there are several."""
    data = coordinator.data
    if not data.cluster:
        return unit_device_info(coordinator, data.ems.leader)
    return DeviceInfo(
        identifiers={system_identifier(data)},
        manufacturer=MANUFACTURER,
        model="Homevolt",
        translation_key="system",
        configuration_url=str(coordinator.client.base_url),
    )


def module_device_info(
    coordinator: HomevoltCoordinator, unit: Unit, module: BatteryModule
) -> DeviceInfo:
    """A battery module's device, part of its unit."""
    data = coordinator.data
    number = str(module.index + 1)
    return DeviceInfo(
        identifiers={module_identifier(unit, module)},
        manufacturer=MANUFACTURER,
        model=module.battery_type,
        translation_key="unit_module" if data.cluster else "module",
        translation_placeholders={"unit": _unit_number(coordinator, unit), "number": number},
        serial_number=module.serial_number,
        sw_version=module.firmware,
        via_device_id=_device_id(coordinator, unit_identifier(unit)),
    )


CLAMP_TRANSLATIONS = {
    SensorFunction.GRID: "grid_clamp",
    SensorFunction.SOLAR: "solar_clamp",
}


def clamp_device_info(coordinator: HomevoltCoordinator, sensor: CtSensor) -> DeviceInfo:
    """A CT clamp's device, paired with the leader unit."""
    data = coordinator.data
    return DeviceInfo(
        identifiers={clamp_identifier(data, sensor)},
        manufacturer=MANUFACTURER,
        model="Pulse CT clamp",
        translation_key=CLAMP_TRANSLATIONS.get(sensor.function, "unassigned_clamp"),
        translation_placeholders={"euid": sensor.euid[-4:]},
        serial_number=sensor.euid,
        via_device_id=_device_id(coordinator, unit_identifier(data.ems.leader)),
    )


@callback
def register_parent_devices(coordinator: HomevoltCoordinator) -> None:
    """Register the system and unit devices first: modules and clamps link to them by id."""
    registry = dr.async_get(coordinator.hass)
    data = coordinator.data
    entry_id = coordinator.config_entry.entry_id
    if data.cluster:
        system = registry.async_get_or_create(
            config_entry_id=entry_id, **system_device_info(coordinator)
        )
        # A single unit that became a cluster: its totals move to the new system device.
        entities = er.async_get(coordinator.hass)
        prefix = f"{data.system_id}_system_"
        for entity in er.async_entries_for_config_entry(entities, entry_id):
            if entity.unique_id.startswith(prefix) and entity.device_id != system.id:
                entities.async_update_entity(entity.entity_id, device_id=system.id)
    for unit in data.ems.units:
        registry.async_get_or_create(
            config_entry_id=entry_id, **unit_device_info(coordinator, unit)
        )


def follow_firmware(coordinator: HomevoltCoordinator) -> CALLBACK_TYPE:
    """Keep the unit devices' firmware current after an update; returns the unsubscribe.

    The device page is where the firmware shows: device info is otherwise written only when
    the set of devices changes.
    """
    known: dict[str, str] = {}

    @callback
    def refresh() -> None:
        data = coordinator.data
        now = {f"unit {unit.ecu_id}": unit.firmware for unit in data.ems.units if unit.firmware}
        if data.status is not None:
            for key, version in (
                ("esp", data.status.esp_firmware),
                ("radio", data.status.radio_firmware),
            ):
                if version:
                    now[key] = version
        # A value not read this time (status is slower) is no change.
        changed = any(known.get(key, version) != version for key, version in now.items())
        known.update(now)
        if changed:
            register_parent_devices(coordinator)

    refresh()
    return coordinator.async_add_listener(refresh)


def unit_target(ecu_id: str) -> Callable[[HomevoltData], Unit | None]:
    """Find a unit in the data."""
    return lambda data: data.ems.unit(ecu_id)


def module_target(ecu_id: str, index: int) -> Callable[[HomevoltData], BatteryModule | None]:
    """Find a battery module in the data."""

    def find(data: HomevoltData) -> BatteryModule | None:
        unit = data.ems.unit(ecu_id)
        modules = unit.modules if unit is not None else ()
        return next((module for module in modules if module.index == index), None)

    return find


def clamp_target(
    key: str, *, shown_while_offline: bool = False
) -> Callable[[HomevoltData], CtSensor | None]:
    """Find a clamp in the data; an offline clamp only for what stays meaningful offline."""

    def find(data: HomevoltData) -> CtSensor | None:
        sensor = data.ems.sensor(key)
        if sensor is None or not (sensor.available or shown_while_offline):
            return None
        return sensor

    return find


def schedule_target(data: HomevoltData) -> Schedule | None:
    """The schedule, as last read."""
    return data.schedule


def system_target(data: HomevoltData) -> HomevoltData:
    """The whole system."""
    return data


def status_target(data: HomevoltData) -> HomevoltData | None:
    """The leader as status.json describes it: unavailable while status.json fails."""
    return None if data.status is None else data


class HomevoltEntity[T](CoordinatorEntity[HomevoltCoordinator]):
    """A Homevolt entity of one part of the system (`target`).

    It is unavailable while its part is missing from the data, and writes its state only when
    what it shows has changed.
    """

    _attr_has_entity_name = True
    _last_shown: object = None

    def __init__(
        self,
        coordinator: HomevoltCoordinator,
        description: EntityDescription,
        device_info: DeviceInfo,
        scope: str,
        target: Callable[[HomevoltData], T | None],
    ) -> None:
        """Create the entity for one description on one device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_device_info = device_info
        self._attr_unique_id = f"{coordinator.data.system_id}_{scope}_{description.key}"
        self._target_fn = target

    @property
    def control(self) -> HomevoltControl:
        """The one way to write to the battery."""
        return self.coordinator.config_entry.runtime_data.control

    @property
    def target(self) -> T | None:
        """The part of the system this entity describes, as last read."""
        return self._target_fn(self.coordinator.data)

    @property
    def available(self) -> bool:
        return super().available and self.target is not None

    def _shown(self) -> Any:
        """What the entity shows; a change triggers a state write."""
        raise NotImplementedError

    def _snapshot(self) -> tuple[bool, Any]:
        available = self.available
        return (available, self._shown() if available else None)

    @callback
    def _handle_coordinator_update(self) -> None:
        shown = self._snapshot()
        if shown != self._last_shown:
            self._last_shown = shown
            self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._last_shown = self._snapshot()


type EntityFactory = Callable[
    [EntityDescription, DeviceInfo, str, Callable[[HomevoltData], Any]], HomevoltEntity[Any]
]


def build_entities(
    coordinator: HomevoltCoordinator,
    make: EntityFactory,
    *,
    system: Sequence[EntityDescription] = (),
    leader: Sequence[EntityDescription] = (),
    unit: Sequence[EntityDescription] = (),
    cluster_unit: Sequence[EntityDescription] = (),
    module: Sequence[EntityDescription] = (),
    clamp: Sequence[EntityDescription] = (),
) -> list[HomevoltEntity[Any]]:
    """A platform's entities on every device: descriptions per kind of device.

    `system` goes on the device with the totals, `leader` (what status.json tells) on the unit
    the integration talks to, `cluster_unit` on each unit only when there are several. A
    description with an `exists_fn` is skipped when the data says it does not apply.
    """
    data = coordinator.data

    def exists(description: EntityDescription) -> bool:
        exists_fn = getattr(description, "exists_fn", None)
        return exists_fn is None or bool(exists_fn(data))

    entities = [
        make(d, system_device_info(coordinator), "system", system_target)
        for d in system
        if exists(d)
    ]
    leader_info = unit_device_info(coordinator, data.ems.leader)
    entities += [make(d, leader_info, "leader", status_target) for d in leader if exists(d)]
    for each_unit in data.ems.units:
        scope = f"unit_{each_unit.ecu_id}"
        info = unit_device_info(coordinator, each_unit)
        descriptions = [*unit, *(cluster_unit if data.cluster else ())]
        entities += [make(d, info, scope, unit_target(each_unit.ecu_id)) for d in descriptions]
        for each_module in each_unit.modules:
            module_info = module_device_info(coordinator, each_unit, each_module)
            target = module_target(each_unit.ecu_id, each_module.index)
            entities += [
                make(d, module_info, f"{scope}_module_{each_module.index}", target) for d in module
            ]
    for sensor in clamps(data):
        clamp_info = clamp_device_info(coordinator, sensor)
        entities += [
            make(
                d,
                clamp_info,
                sensor.key,
                clamp_target(
                    sensor.key, shown_while_offline=getattr(d, "shown_while_offline", False)
                ),
            )
            for d in clamp
        ]
    return entities


def add_entities_as_found(
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[HomevoltCoordinator], list[HomevoltEntity[Any]]],
) -> None:
    """Add a platform's entities now, and those of units or clamps that appear later.

    An entity whose part is missing from a poll stays (unavailable); one removed with its
    device (gone for long, or deleted by the owner) is built again if its part comes back.
    """
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()
    seen_devices: set[tuple[str, str]] = set()

    @callback
    def add_new() -> None:
        # Build entities only when the set of devices changed, not on every poll.
        devices = current_device_identifiers(coordinator.data)
        if devices == seen_devices:
            return
        seen_devices.clear()
        seen_devices.update(devices)
        register_parent_devices(coordinator)
        new = [entity for entity in build(coordinator) if entity.unique_id not in known]
        for entity in new:
            if entity.unique_id:
                known.add(entity.unique_id)
                entity.async_on_remove(functools.partial(known.discard, entity.unique_id))
        if new:
            async_add_entities(new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
