"""Run a virtual Homevolt: `scripts/run python -m simulator --help`."""

import argparse
import asyncio
from datetime import datetime
import signal

from .server import Faults, Simulator, SimulatorOptions


def parse_args(argv: list[str] | None = None) -> SimulatorOptions:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=(
            "A virtual Homevolt battery serving the documented local API (status.json, ems.json, "
            "schedule.json, params.json, error_report.json, ota_manifest.json, nodes.json, ct.json, "
            "mains_data.json, console.json) from a model battery. Test-only controls live under "
            "/_sim/ (GET /_sim/state; POST /_sim/clock {advance, speed}, /_sim/faults {...}, "
            "/_sim/unit {index, fault, soc}, /_sim/units {count}, /_sim/reboot, "
            "/_sim/password {password}, /_sim/ota {available, state, progress}; "
            "DELETE /_sim/requests)."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to listen on; 0 picks a free one (default 8080)",
    )
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--password", default="homevolt", help="password of user admin (default homevolt)"
    )
    auth.add_argument(
        "--no-password", action="store_true", help="serve without authentication, as some units do"
    )
    parser.add_argument(
        "--https",
        action="store_true",
        help="serve HTTPS with a self-signed certificate made at start",
    )
    parser.add_argument(
        "--units",
        type=int,
        default=1,
        help="units in the system: a leader and N-1 followers (default 1)",
    )
    parser.add_argument(
        "--firmware",
        choices=("2025", "2026"),
        default="2026",
        help="payload shape: 2025 (CT items by 'type', integer ecu_id, full 'aggregated', load phases 0, "
        "modes 0-6 only) or 2026 (the documented stable_2512_1; default)",
    )
    parser.add_argument(
        "--no-min-soc-param", action="store_true", help="leave battery_min_soc out of params.json"
    )
    parser.add_argument(
        "--no-ota-manifest",
        action="store_true",
        help="answer 404 for ota_manifest.json, as a firmware without it would",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the household, weather and faults (default 1)"
    )
    parser.add_argument(
        "--timezone",
        default="Europe/Stockholm",
        help="the device's local time zone (default Europe/Stockholm)",
    )
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="simulated start time, ISO 8601 with offset (default now)",
    )
    parser.add_argument(
        "--reboot-seconds",
        type=float,
        default=5.0,
        help="how long a reboot keeps the API down (default 5)",
    )
    parser.add_argument(
        "--backoff-base",
        type=float,
        default=1.0,
        help="first login lockout in seconds; doubles per failure (default 1)",
    )
    parser.add_argument(
        "--faults",
        type=Faults.parse,
        default=Faults(),
        help="fault injection as rates per request, e.g. timeout=0.05,error=0.02,truncate=0.01,slow=0.05,reboot=0.001 "
        "(also slow_seconds=3, hang_seconds=60)",
    )
    args = parser.parse_args(argv)
    return SimulatorOptions(
        units=args.units,
        firmware=args.firmware,
        password=None if args.no_password else args.password,
        host=args.host,
        port=args.port,
        https=args.https,
        speed=args.speed,
        seed=args.seed,
        timezone=args.timezone,
        start=args.start,
        reboot_seconds=args.reboot_seconds,
        backoff_base=args.backoff_base,
        min_soc_param=not args.no_min_soc_param,
        ota_manifest=not args.no_ota_manifest,
        faults=args.faults,
    )


async def serve(options: SimulatorOptions) -> None:
    simulator = Simulator(options)
    url = await simulator.start()
    auth = "no password" if not options.password else f"user admin, password {options.password}"
    print(f"Virtual Homevolt at {url} ({auth}); Ctrl-C stops it.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await simulator.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
