"""Devices and the base entity: one device per unit, module and CT clamp, and the system."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import functools
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)

from .api import BatteryModule, CtSensor, Schedule, SensorFunction, Unit
from .const import DOMAIN, LOGGER, MANUFACTURER
from .coordinator import HomevoltCoordinator
from .data import (
    HomevoltData,
    Layout,
    clamp_identifier,
    clamps,
    module_identifier,
    system_identifier,
    unit_identifier,
)

if TYPE_CHECKING:
    from .control import HomevoltControl
    from .coordinator import HomevoltConfigEntry


@dataclass(frozen=True, kw_only=True)
class HomevoltEntityDescription(EntityDescription):
    """What every Homevolt entity description can say besides Home Assistant's fields."""

    exists_fn: Callable[[Layout], bool] | None = None
    """Whether the entity applies to this system at all; None: always. Once it does, the
    entity is added (at the poll that tells) and stays."""
    shown_while_offline: bool = False
    """A clamp's entity that stays meaningful while the clamp is offline (its radio link)."""
    reads: str | None = None
    """The endpoint besides ems.json the entity reads: unavailable while it fails."""


def _unit_number(coordinator: HomevoltCoordinator, ecu_id: str) -> str:
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
    if data.ems.reported_leader is None:  # the leader left out of this read still counts
        units.add(data.system_id)
    first = data.system_id if data.system_id in units else data.ems.leader.ecu_id
    if ecu_id == first:
        return "1"
    return str(sorted(units - {first}).index(ecu_id) + 2)


def _device_id(coordinator: HomevoltCoordinator, identifier: tuple[str, str]) -> str:
    return dr.async_get_device_id_by_identifier(
        coordinator.hass, identifier, config_entry_id=coordinator.config_entry.entry_id
    )


def unit_device_info(coordinator: HomevoltCoordinator, unit: Unit) -> DeviceInfo:
    """A unit's device; in a cluster, part of the system device."""
    return _unit_info(coordinator, unit.ecu_id, unit, leader=unit.is_leader)


def _unit_info(
    coordinator: HomevoltCoordinator, ecu_id: str, unit: Unit | None, *, leader: bool
) -> DeviceInfo:
    """A unit's device; without the unit's read, its model and firmware stay as registered."""
    data = coordinator.data
    info = DeviceInfo(
        identifiers={(DOMAIN, ecu_id)},
        manufacturer=MANUFACTURER,
        name="Homevolt",
        serial_number=ecu_id,
    )
    if unit is not None:
        info["model"] = f"Homevolt {unit.model}" if unit.model else "Homevolt"
        info["sw_version"] = unit.firmware
    if data.cluster:
        info["translation_key"] = "unit"
        info["translation_placeholders"] = {"number": _unit_number(coordinator, ecu_id)}
        info["via_device_id"] = _device_id(coordinator, system_identifier(data))
    if leader:
        _add_leader_info(coordinator, info)
    return info


def _add_leader_info(coordinator: HomevoltCoordinator, info: DeviceInfo) -> None:
    data = coordinator.data
    info["configuration_url"] = str(coordinator.client.base_url)
    if data.status and data.status.esp_firmware:
        info["sw_version"] = data.status.esp_firmware
    if data.status and data.status.radio_firmware:
        # Device info has no field for a second firmware; the radio module's goes here.
        info["hw_version"] = f"Radio {data.status.radio_firmware}"


def leader_device_info(coordinator: HomevoltCoordinator) -> DeviceInfo | None:
    """The device of the unit whose status.json is read; None while which unit that is is unknown.

    A poll may leave the leader out of ems.json: its device is then the system id's (the
    leader's at set-up), so that its entities do not land on a follower's device.
    """
    data = coordinator.data
    leader = data.ems.reported_leader
    if leader is not None:
        return unit_device_info(coordinator, leader)
    if data.ems.unit(data.system_id) is not None:
        return None  # the system id names a follower now: which unit leads is not told
    return _unit_info(coordinator, data.system_id, None, leader=True)


@callback
def register_leader_device(coordinator: HomevoltCoordinator) -> dr.DeviceEntry | None:
    """Register the leader's device (see `leader_device_info`); None while it is not known."""
    info = leader_device_info(coordinator)
    return None if info is None else register_device(coordinator, info)


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
        translation_placeholders={"unit": _unit_number(coordinator, unit.ecu_id), "number": number},
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
        via_device_id=_device_id(coordinator, _leader_identifier(data)),
    )


def _leader_identifier(data: HomevoltData) -> tuple[str, str]:
    """The leader's device: the system id's while the leader is left out of the read."""
    leader = data.ems.reported_leader
    return unit_identifier(leader) if leader is not None else (DOMAIN, data.system_id)


@dataclass(slots=True)
class _Registered:
    """The devices registered for one set of devices (an entry's, as last polled)."""

    devices: frozenset[tuple[str, str]]
    entries: dict[frozenset[tuple[str, str]], dr.DeviceEntry] = field(default_factory=dict)
    parents: bool = False


# Every platform links its entities to the same devices: each is registered once per set of
# devices, not once per platform.
_REGISTERED: WeakKeyDictionary[HomevoltCoordinator, _Registered] = WeakKeyDictionary()


def _registered(coordinator: HomevoltCoordinator) -> _Registered:
    devices = coordinator.device_identifiers
    known = _REGISTERED.get(coordinator)
    if known is None or known.devices is not devices:
        known = _REGISTERED[coordinator] = _Registered(devices)
    return known


@callback
def register_device(coordinator: HomevoltCoordinator, info: DeviceInfo) -> dr.DeviceEntry:
    """Register (or bring up to date) a device, once for all of its entities and platforms."""
    registry = dr.async_get(coordinator.hass)
    entries = _registered(coordinator).entries
    key = frozenset(info.get("identifiers", ()))
    device = entries.get(key)
    if device is None or registry.async_get(device.id) is None:  # not yet, or deleted since
        device = entries[key] = registry.async_get_or_create(
            config_entry_id=coordinator.config_entry.entry_id, **info
        )
    return device


@callback
def register_parent_devices(coordinator: HomevoltCoordinator, *, again: bool = False) -> None:
    """Register the system and unit devices first: modules and clamps link to them by id.

    Once per set of devices, unless `again` (their firmware changed).
    """
    registered = _registered(coordinator)
    if registered.parents and not again:
        return
    registered.parents = True
    registry = dr.async_get(coordinator.hass)
    data = coordinator.data
    entry_id = coordinator.config_entry.entry_id

    def register(info: DeviceInfo) -> dr.DeviceEntry:
        device = registry.async_get_or_create(config_entry_id=entry_id, **info)
        registered.entries[frozenset(info.get("identifiers", ()))] = device
        return device

    if data.cluster:  # first: the units link to it
        system = register(system_device_info(coordinator))
        # A single unit that became a cluster: its totals move to the new system device.
        entities = er.async_get(coordinator.hass)
        prefix = f"{data.system_id}_system_"
        for entity in er.async_entries_for_config_entry(entities, entry_id):
            if entity.unique_id.startswith(prefix) and entity.device_id != system.id:
                entities.async_update_entity(entity.entity_id, device_id=system.id)
    for unit in data.ems.units:
        register(unit_device_info(coordinator, unit))
    if data.ems.reported_leader is None and (leader := leader_device_info(coordinator)):
        register(leader)  # clamps link to it


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
        # A value not read this time (status is slower) is no change; one read for the first
        # time after set-up (status follows it) is.
        changed = bool(known) and any(known.get(key) != version for key, version in now.items())
        known.update(now)
        if changed:
            register_parent_devices(coordinator, again=True)

    refresh()
    return coordinator.async_add_listener(refresh)


def unit_target(ecu_id: str) -> Callable[[HomevoltData], Unit | None]:
    """Find a unit in the data."""

    def find(data: HomevoltData) -> Unit | None:
        for unit in data.ems.units:
            if unit.ecu_id == ecu_id:
                return unit
        return None

    return find


def module_target(ecu_id: str, index: int) -> Callable[[HomevoltData], BatteryModule | None]:
    """Find a battery module in the data."""
    find_unit = unit_target(ecu_id)

    def find(data: HomevoltData) -> BatteryModule | None:
        unit = find_unit(data)
        modules = unit.modules if unit is not None else ()
        return next((module for module in modules if module.index == index), None)

    return find


def clamp_target(
    sensor: CtSensor, *, shown_while_offline: bool = False
) -> Callable[[HomevoltData], CtSensor | None]:
    """Find a clamp in the data; an offline clamp only for what stays meaningful offline."""
    function, euid = sensor.function, sensor.euid

    def find(data: HomevoltData) -> CtSensor | None:
        for each in data.ems.sensors:
            if each.function is function and each.euid == euid:
                return each if each.available or shown_while_offline else None
        return None

    return find


def schedule_target(data: HomevoltData) -> Schedule | None:
    """The schedule, as last read."""
    return data.schedule


def scheduled_target(data: HomevoltData) -> HomevoltData | None:
    """The whole system while its schedule is known (the entry in force changes with the clock)."""
    return None if data.schedule is None else data


def system_target(data: HomevoltData) -> HomevoltData:
    """The whole system."""
    return data


def status_target(data: HomevoltData) -> HomevoltData | None:
    """The leader as status.json describes it: unavailable while status.json fails."""
    return None if data.status is None else data


class PartListeners:
    """The one coordinator listener of an entry's entities: each part is looked up once.

    Entities are grouped by their part (`target`). After an update that leaves availability the
    same, an entity whose `probe` reads its part as it did last time is not called back (nor is
    any entity of a part that is the same object as before): only entities whose value changed,
    and those that do not follow from their part alone, cost more than a comparison.
    """

    def __init__(self, coordinator: HomevoltCoordinator) -> None:
        """No entities yet."""
        self._coordinator = coordinator
        self._parts: dict[Callable[[HomevoltData], Any], _Part] = {}
        # As of the data the parts are first looked up in.
        self._seen = (coordinator.last_update_success, coordinator.data.unreadable)
        self._unsubscribe: CALLBACK_TYPE | None = None

    def add(self, entity: HomevoltEntity[Any]) -> CALLBACK_TYPE:
        """Call the entity back on updates from now on; returns the removal."""
        find = entity.target_fn
        part = self._parts.get(find)
        if part is None:
            part = self._parts[find] = _Part(find(self._coordinator.data))
        part.add(entity)
        if self._unsubscribe is None:
            self._unsubscribe = self._coordinator.async_add_listener(self._update)

        @callback
        def remove() -> None:
            part.remove(entity)
            if not part.entities and self._parts.get(find) is part:
                del self._parts[find]
            if not self._parts and self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

        return remove

    @callback
    def _update(self) -> None:
        coordinator = self._coordinator
        data = coordinator.data
        before = self._seen
        seen = self._seen = (coordinator.last_update_success, data.unreadable)
        # A read of a slower part gives an equal set of unreadable parts, not the same object.
        same = before == seen
        for find, part in list(self._parts.items()):
            target = find(data)
            if not same or target is None or part.target is None or part.shown is None:
                # Availability may have changed: every entity of the part works it out.
                part.target = target
                part.shown = None if target is None else part.probe(target)
                entities = list(part.entities)
            elif target is part.target:
                entities = [entity for entity in part.entities if not entity.skip_unchanged_part]
            else:
                part.target = target
                was, shown = part.shown, part.probe(target)
                part.shown = shown
                if shown == was and not part.raised:
                    entities = [e for e in part.entities if not e.skip_unchanged_part]
                else:
                    # A probe that raises reads nothing: its entity is asked every time.
                    entities = [
                        entity
                        for entity, now, then in zip(part.entities, shown, was, strict=True)
                        if now != then or now is _RAISED or not entity.skip_unchanged_part
                    ]
            read = part.shown if part.raised else None
            for entity in entities:
                # One entity's fault must not stop the others (as Home Assistant's own loop).
                try:
                    if read is not None and read[part.entities.index(entity)] is _RAISED:
                        entity.probe_again(target)  # its probe's fault is the entity's own
                    if entity.update_from(target):
                        entity.async_write_ha_state()
                except Exception:
                    entity.update_failed()
                else:
                    entity.failing = False


def _always_new(_target: object) -> object:
    """The probe of an entity without one: it reads something new every time."""
    return object()


# What a probe that raised reads: its entity is unavailable (and the fault logged) until it
# reads again; the other entities of its part are compared as always.
_RAISED = object()


class _Part:
    """One part of the system as last looked up, and the entities that describe it."""

    __slots__ = ("entities", "probes", "raised", "shown", "target")

    def __init__(self, target: object) -> None:
        self.target = target
        self.entities: list[HomevoltEntity[Any]] = []
        self.probes: list[Callable[[Any], object]] = []
        # What each entity's probe read of the part last; None: to be read afresh (every entity
        # is called back then). Each entity is added with what it reads of this same target.
        self.shown: list[object] | None = None if target is None else []
        self.raised = False  # whether a probe raised at the last reading

    def probe(self, target: object) -> list[object]:
        """What every entity's probe reads of the part; _RAISED for one that raised."""
        try:
            shown = [probe(target) for probe in self.probes]
        except Exception:  # one raised: which, is found out one by one (rare)
            shown = [_read(probe, target) for probe in self.probes]
            self.raised = True
        else:
            self.raised = False
        return shown

    def add(self, entity: HomevoltEntity[Any]) -> None:
        probe = entity.probe or _always_new
        self.entities.append(entity)
        self.probes.append(probe)
        if self.shown is not None:
            self.shown.append(shown := _read(probe, self.target))
            self.raised = self.raised or shown is _RAISED

    def remove(self, entity: HomevoltEntity[Any]) -> None:
        index = self.entities.index(entity)
        del self.entities[index]
        del self.probes[index]
        if self.shown is not None:
            del self.shown[index]


def _read(probe: Callable[[Any], object], target: object) -> object:
    try:
        return probe(target)
    except Exception:  # the entity's update raises it again, and logs it
        return _RAISED


_LISTENERS: WeakKeyDictionary[HomevoltCoordinator, PartListeners] = WeakKeyDictionary()


def part_listeners(coordinator: HomevoltCoordinator) -> PartListeners:
    """The entry's one listener for all of its entities."""
    listeners = _LISTENERS.get(coordinator)
    if listeners is None:
        listeners = _LISTENERS[coordinator] = PartListeners(coordinator)
    return listeners


_UNAVAILABLE = (False, None)


class HomevoltEntity[T](Entity):
    """A Homevolt entity of one part of the system (`target`).

    It is unavailable while its part is missing from the data, and writes its state only when
    what it shows has changed. Its part is looked up once per update for all entities of that
    part (`PartListeners`).
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    _last_shown: object = None
    skip_unchanged_part = False
    """Whether an update that leaves the part as it was can pass this entity by (now)."""
    failing = False
    """Whether the entity's last update raised: it is unavailable, the fault logged once."""
    probe: Callable[[Any], object] | None = None
    """What the entity shows, read from its part alone (not other parts, the clock only as read
    once per poll) without side effects: while it reads the same, and while the part is the same
    object, the entity is not called back. None: called back on every update."""

    def __init__(
        self,
        coordinator: HomevoltCoordinator,
        description: EntityDescription,
        device: dr.DeviceEntry,
        scope: str,
        target: Callable[[HomevoltData], T | None],
    ) -> None:
        """Create the entity for one description on one (registered) device."""
        self.coordinator = coordinator
        self.entity_description = description
        # Linked by the registered device, not a DeviceInfo each: no registry call per entity.
        self.device_entry = device
        self._attr_unique_id = f"{coordinator.data.system_id}_{scope}_{description.key}"
        self.target_fn = target
        self._reads = (
            description.reads if isinstance(description, HomevoltEntityDescription) else None
        )
        self._target: T | None = target(coordinator.data)
        self._available = self._is_available()

    @property
    def control(self) -> HomevoltControl:
        """The one way to write to the battery."""
        return self.coordinator.config_entry.runtime_data.control

    @property
    def target(self) -> T | None:
        """The part of the system this entity describes, as last read."""
        return self._target

    @property
    def available(self) -> bool:
        return self._available

    def _is_available(self) -> bool:
        coordinator = self.coordinator
        return (
            coordinator.last_update_success
            and self._target is not None
            and self._reads not in coordinator.data.unreadable
        )

    def _shown(self) -> Any:
        """What the entity shows; a change triggers a state write."""
        raise NotImplementedError

    def _settled(self) -> bool:
        """Whether an unchanged part means an unchanged entity (no clock-bound check running)."""
        return True

    def _read(self) -> None:
        """Work out what depends on the part before it is shown (after each new look-up)."""

    def update_from(self, target: T | None) -> bool:
        """Take the part as now looked up; whether what the entity shows has changed."""
        self._target = target
        self._read()
        coordinator = self.coordinator
        available = self._available = (
            coordinator.last_update_success
            and target is not None
            and self._reads not in coordinator.data.unreadable
        )
        shown = (True, self._shown()) if available else _UNAVAILABLE
        if self.probe is not None:
            self.skip_unchanged_part = self._settled()
        if shown == self._last_shown:
            return False
        self._last_shown = shown
        return True

    def probe_again(self, target: T | None) -> None:
        """Read the probe again where it raised: the fault is raised for the entity's update."""
        if self.probe is not None and target is not None:
            self.probe(target)

    @callback
    def update_failed(self) -> None:
        """The update raised (called in its `except`): unavailable, not its last value shown.

        The traceback is logged once per fault, not at every poll while it lasts.
        """
        if self.failing:
            LOGGER.debug("Updating %s failed again", self.entity_id, exc_info=True)
        else:
            LOGGER.exception("Unexpected error updating %s", self.entity_id)
        self.failing = True
        self.skip_unchanged_part = False  # tried again at every poll until it works
        self._available = False
        if self._last_shown != _UNAVAILABLE:
            self._last_shown = _UNAVAILABLE
            try:  # what it writes while unavailable may be what failed (a control's bounds)
                self.async_write_ha_state()
            except Exception:  # logged above; the other entities go on
                LOGGER.debug("Writing %s as unavailable failed too", self.entity_id)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(part_listeners(self.coordinator).add(self))
        self.update_from(self.target_fn(self.coordinator.data))

    async def async_update(self) -> None:
        """Refresh the data (the update_entity action); not while the entity is disabled."""
        if self.enabled:
            await self.coordinator.async_request_refresh()


type EntityFactory = Callable[
    [EntityDescription, dr.DeviceEntry, str, Callable[[HomevoltData], Any]], HomevoltEntity[Any]
]


def build_entities(
    coordinator: HomevoltCoordinator,
    make: EntityFactory,
    *,
    system: Sequence[HomevoltEntityDescription] = (),
    leader: Sequence[HomevoltEntityDescription] = (),
    unit: Sequence[HomevoltEntityDescription] = (),
    cluster_unit: Sequence[HomevoltEntityDescription] = (),
    module: Sequence[HomevoltEntityDescription] = (),
    clamp: Sequence[HomevoltEntityDescription] = (),
) -> list[HomevoltEntity[Any]]:
    """A platform's entities on every device: descriptions per kind of device.

    `system` goes on the device with the totals, `leader` (what status.json tells) on the unit
    the integration talks to, `cluster_unit` on each unit only when there are several. A
    description whose `exists_fn` says it does not apply is skipped.
    """
    data = coordinator.data
    layout = coordinator.layout

    def exists(description: HomevoltEntityDescription) -> bool:
        return description.exists_fn is None or description.exists_fn(layout)

    entities = []
    if wanted := [d for d in system if exists(d)]:
        device = register_device(coordinator, system_device_info(coordinator))
        entities += [make(d, device, "system", system_target) for d in wanted]
    if leader and (leader_device := register_leader_device(coordinator)):
        entities += [make(d, leader_device, "leader", status_target) for d in leader if exists(d)]
    for each_unit in data.ems.units:
        scope = f"unit_{each_unit.ecu_id}"
        descriptions = [*unit, *(cluster_unit if data.cluster else ())]
        if descriptions:
            device = register_device(coordinator, unit_device_info(coordinator, each_unit))
            target = unit_target(each_unit.ecu_id)
            entities += [make(d, device, scope, target) for d in descriptions]
        if not module:
            continue
        for each_module in each_unit.modules:
            device = register_device(
                coordinator, module_device_info(coordinator, each_unit, each_module)
            )
            find = module_target(each_unit.ecu_id, each_module.index)
            entities += [
                make(d, device, f"{scope}_module_{each_module.index}", find) for d in module
            ]
    if not clamp:
        return entities
    for sensor in clamps(data):
        device = register_device(coordinator, clamp_device_info(coordinator, sensor))
        entities += [
            make(
                d,
                device,
                sensor.key,
                clamp_target(sensor, shown_while_offline=d.shown_while_offline),
            )
            for d in clamp
        ]
    return entities


def add_entities_as_found(
    entry: HomevoltConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[HomevoltCoordinator], list[HomevoltEntity[Any]]],
) -> None:
    """Add a platform's entities now, and those that apply later, at the poll that tells.

    Later: a unit or clamp appears, or an `exists_fn` holds now (a load meter back in an empty
    slot). An entity whose part is missing from a poll stays (unavailable), as does one that no
    longer applies; one removed with its device (gone for long, or deleted by the owner) is
    built again if its part comes back.
    """
    coordinator = entry.runtime_data.coordinator
    domain = async_get_current_platform().domain
    registry = er.async_get(coordinator.hass)
    known: set[str] = set()
    seen: list[tuple[frozenset[tuple[str, str]], Layout] | None] = [None]

    def registered_disabled(unique_id: str) -> bool:
        entity_id = registry.async_get_entity_id(domain, DOMAIN, unique_id)
        found = registry.async_get(entity_id) if entity_id else None
        return found is not None and found.disabled_by is not None

    @callback
    def add_new() -> None:
        # Build entities only when the set of devices or the layout changed (both are the same
        # objects until then), not on every poll.
        devices, layout = coordinator.device_identifiers, coordinator.layout
        last = seen[0]
        if last is not None and devices is last[0] and layout is last[1]:
            return
        seen[0] = (devices, layout)
        register_parent_devices(coordinator)
        # One registered and disabled is left out: Home Assistant would only look it up in
        # the registry. Enabling it reloads the entry, which then adds it.
        new = [
            entity
            for entity in build(coordinator)
            if entity.unique_id not in known and not registered_disabled(entity.unique_id or "")
        ]
        for entity in new:
            if entity.unique_id:
                known.add(entity.unique_id)
                entity.async_on_remove(functools.partial(known.discard, entity.unique_id))
        if new:
            async_add_entities(new)

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
