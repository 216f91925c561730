"""How many requests per second the simulator answers on this machine (loopback only)."""

import asyncio
import sys
import time

import aiohttp

from simulator.server import SimulatorOptions
from simulator.threaded import SimulatorThread

SECONDS = 4.0


async def _worker(session: aiohttp.ClientSession, url: str, deadline: float) -> int:
    done = 0
    while time.monotonic() < deadline:
        async with session.get(url) as response:
            await response.read()
        done += 1
    return done


async def _measure(url: str, concurrency: int, path: str) -> float:
    headers = {"Authorization": aiohttp.encode_basic_auth("admin", "homevolt")}
    async with aiohttp.ClientSession(headers=headers) as session:
        deadline = time.monotonic() + SECONDS
        began = time.monotonic()
        counts = await asyncio.gather(
            *(_worker(session, f"{url}{path}", deadline) for _ in range(concurrency))
        )
        return sum(counts) / (time.monotonic() - began)


def main() -> None:
    thread = SimulatorThread(
        SimulatorOptions(port=0, units=int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    )
    simulator = thread.start()
    try:
        for path in ("/ems.json", "/schedule.json", "/status.json"):
            for concurrency in (1, 4):
                rate = asyncio.run(_measure(simulator.url, concurrency, path))
                print(f"simulator {path:15} {concurrency} client(s): {rate:7.0f} requests/s")
    finally:
        thread.stop()


if __name__ == "__main__":
    main()
