"""The demo's Energy dashboard: the virtual Homevolt's history since yesterday, then live data.

Home Assistant cannot record the past, so the demo runs the virtual Homevolt from yesterday's
local midnight to now before Home Assistant starts, reads its energy counters at every hour
through this integration's own client (the values its sensors show), and imports them as the
sensors' hourly statistics. The sums are counted back from the counters' value now, because
Home Assistant's own statistics for a sensor start at sum 0 from the first value it records:
the imported hours then join the live ones without a step.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from custom_components.homevolt_local_api.api import HomevoltClient

ZONE = ZoneInfo("Europe/Stockholm")  # the demo's (configuration.yaml) and the simulator's
# Entity id → the field of the client's EmsData that its sensor shows (kWh).
SENSORS = {
    "sensor.homevolt_grid_energy_imported": "grid_imported_energy",
    "sensor.homevolt_grid_energy_exported": "grid_exported_energy",
    "sensor.homevolt_solar_energy_produced": "solar_produced_energy",
    "sensor.homevolt_battery_energy_charged": "battery_charged_energy",
    "sensor.homevolt_battery_energy_discharged": "battery_discharged_energy",
}
HOUR = timedelta(hours=1)


def history_start(now: datetime | None = None) -> datetime:
    """Yesterday's local midnight: a whole day to look back on, and today so far."""
    local = (now or datetime.now(UTC)).astimezone(ZONE)
    return datetime.combine(local.date() - timedelta(days=1), datetime.min.time(), ZONE)


@dataclass
class History:
    """The counters at each hour boundary from the start, and at the end of the run."""

    hours: list[datetime] = field(default_factory=list)
    counters: dict[str, list[float]] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)


async def run_to_now(session: aiohttp.ClientSession, sim_url: str, password: str) -> History:
    """Advance the virtual Homevolt hour by hour to the present; its counters on the way."""
    client = HomevoltClient(sim_url, password, session=session)

    async def sim_epoch() -> float:
        async with session.get(f"{sim_url}/_sim/state") as response:
            return float((await response.json())["epoch"])

    async def advance_to(moment: float) -> None:
        gap = moment - await sim_epoch()
        if gap > 0:
            async with session.post(f"{sim_url}/_sim/clock", json={"advance": gap}) as response:
                response.raise_for_status()

    async def counters() -> dict[str, float]:
        ems = await client.ems()
        values = {entity: getattr(ems, name) for entity, name in SENSORS.items()}
        return {entity: float(value) for entity, value in values.items() if value is not None}

    history = History()
    start = datetime.fromtimestamp(await sim_epoch(), UTC).replace(
        minute=0, second=0, microsecond=0
    )
    moment = start
    while moment.timestamp() <= time.time():
        await advance_to(moment.timestamp())
        history.hours.append(moment)
        for entity, value in (await counters()).items():
            history.counters.setdefault(entity, []).append(value)
        moment += HOUR
    await advance_to(time.time())
    history.final = await counters()
    return history


def statistics(history: History) -> list[dict[str, Any]]:
    """recorder/import_statistics messages: one row per whole hour, summed back from now."""
    messages = []
    for entity, values in history.counters.items():
        final = history.final[entity]
        # The row for the hour before the first boundary holds the starting point, so that the
        # first hour's change is its own, not everything since zero.
        rows = [
            {"start": (hour - HOUR).isoformat(), "state": value, "sum": value - final}
            for hour, value in zip(history.hours, values, strict=True)
        ]
        messages.append(
            {
                "type": "recorder/import_statistics",
                "metadata": {
                    "has_mean": False,
                    "mean_type": 0,
                    "has_sum": True,
                    "name": None,
                    "source": "recorder",
                    "statistic_id": entity,
                    "unit_class": "energy",
                    "unit_of_measurement": "kWh",
                },
                "stats": rows,
            }
        )
    return messages


# The Energy dashboard's settings, as Settings > Dashboards > Energy saves them. No power
# sensors (stat_rate): their statistics only exist after Home Assistant's first five-minute
# compile, and until then the settings would show as invalid.
PREFERENCES: dict[str, Any] = {
    "type": "energy/save_prefs",
    "energy_sources": [
        {
            "type": "grid",
            "stat_energy_from": "sensor.homevolt_grid_energy_imported",
            "stat_energy_to": "sensor.homevolt_grid_energy_exported",
            "cost_adjustment_day": 0,
        },
        {
            "type": "solar",
            "stat_energy_from": "sensor.homevolt_solar_energy_produced",
        },
        {
            "type": "battery",
            "stat_energy_from": "sensor.homevolt_battery_energy_discharged",
            "stat_energy_to": "sensor.homevolt_battery_energy_charged",
            "stat_soc": "sensor.homevolt_state_of_charge",
        },
    ],
    "device_consumption": [],
}
