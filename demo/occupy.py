"""Other programs on the demo's ports, for CI: `python -m demo.occupy 8123 8099`.

Listens on 127.0.0.1 on each port given, as another Home Assistant on the same machine would,
answers every request with 403 and prints it ("request PORT METHOD PATH"), so that CI can show
the demo moved to free ports and sent nothing here. Prints "ready" once listening; stops on
SIGTERM or SIGINT. A port something else already holds is reported and left to it.
"""

import asyncio
import signal
import sys

from aiohttp import web


async def main(ports: list[int]) -> None:
    runners: list[web.AppRunner] = []
    for port in ports:

        async def handler(request: web.Request, port: int = port) -> web.Response:
            print(f"request {port} {request.method} {request.path}", flush=True)
            return web.json_response({"message": "not the demo's server"}, status=403)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        except OSError as err:
            print(f"occupy: 127.0.0.1:{port} is already taken ({err.strerror})", flush=True)
            await runner.cleanup()
            continue
        runners.append(runner)
        print(f"occupy: listening on 127.0.0.1:{port}", flush=True)
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main([int(port) for port in sys.argv[1:]]))
