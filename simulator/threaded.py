"""A simulator on its own thread and event loop, as separate from the caller as a device is."""

import asyncio
import threading

from .server import Simulator, SimulatorOptions


class SimulatorThread:
    """Start with `start()` (returns the Simulator, its url set); stop with `stop()`."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.simulator = Simulator(options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="homevolt-simulator", daemon=True
        )

    def start(self) -> Simulator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.simulator.start(), self._loop).result(timeout=10)
        return self.simulator

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.simulator.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
