"""The demo's Energy dashboard history: the real simulator run to now, its hours as statistics."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
import time

import aiohttp
import pytest

from demo import __main__ as demo, energy
from tests.demo.test_ports import free_port, simulator_on


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """These tests talk to the simulator on 127.0.0.1."""


async def test_the_simulator_runs_hour_by_hour_from_yesterday_to_now(tmp_path: Path) -> None:
    port = free_port()
    start = energy.history_start()
    with simulator_on(port, tmp_path, start) as process:
        async with aiohttp.ClientSession() as session:
            await demo.wait_for_own(
                session,
                process=process,
                port=port,
                path="/_sim/state",
                seconds=30,
                what="the virtual Homevolt",
                logs=tmp_path,
            )
            history = await energy.run_to_now(session, f"http://127.0.0.1:{port}", "homevolt")
            async with session.get(f"http://127.0.0.1:{port}/_sim/state") as response:
                sim_now = (await response.json())["epoch"]
    # Every whole hour from yesterday's local midnight to now, one apart.
    assert history.hours[0] == start
    whole_hours = int((time.time() - start.timestamp()) // 3600)
    # (one fewer if the run began just before an hour's end)
    assert len(history.hours) in (whole_hours, whole_hours + 1)
    assert len(history.hours) >= 24
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(history.hours))
    # The virtual battery is at the present again, and its counters only grew on the way.
    assert abs(sim_now - time.time()) < 60
    assert set(history.counters) == set(energy.SENSORS)
    for entity, values in history.counters.items():
        assert len(values) == len(history.hours)
        assert values == sorted(values), entity
        assert history.final[entity] >= values[-1]
    # A day of sun and a house that uses power: the flows the dashboard is there to show.
    produced = history.counters["sensor.homevolt_solar_energy_produced"]
    imported = history.counters["sensor.homevolt_grid_energy_imported"]
    assert produced[-1] - produced[0] > 1
    assert imported[-1] - imported[0] > 1


def test_statistics_are_summed_back_from_the_present() -> None:
    hours = [datetime(2026, 11, 20, 23, tzinfo=UTC) + timedelta(hours=i) for i in range(3)]
    history = energy.History(
        hours=hours,
        counters={"sensor.homevolt_grid_energy_imported": [100.0, 101.5, 104.0]},
        final={"sensor.homevolt_grid_energy_imported": 105.0},
    )
    (message,) = energy.statistics(history)
    assert message["type"] == "recorder/import_statistics"
    assert message["metadata"]["statistic_id"] == "sensor.homevolt_grid_energy_imported"
    assert message["metadata"]["unit_of_measurement"] == "kWh"
    assert message["metadata"]["has_sum"] is True
    # Each row is the hour that ends at a boundary; the first one holds the starting point.
    assert [row["start"] for row in message["stats"]] == [
        "2026-11-20T22:00:00+00:00",
        "2026-11-20T23:00:00+00:00",
        "2026-11-21T00:00:00+00:00",
    ]
    assert [row["state"] for row in message["stats"]] == [100.0, 101.5, 104.0]
    # Home Assistant's own statistics start at 0 from the value now: the past is negative.
    assert [row["sum"] for row in message["stats"]] == [-5.0, -3.5, -1.0]
