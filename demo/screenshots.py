"""Screenshots of the demo in a real browser (headless Chromium driven over DevTools).

`scripts/screenshots` starts the demo and Chromium on the host; this connects to Chromium's
DevTools port, logs in as the demo user and writes docs/*.png.
"""

import asyncio
import base64
import json
from pathlib import Path
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from demo.__main__ import Client, Site

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CDP_PORT = 9333
WIDTH, HEIGHT = 1400, 1000


# Clicks the Energy dashboard's "previous period" button, wherever the frontend's shadow DOMs
# put it; true when it found one.
PREVIOUS_PERIOD = """
(() => {
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const label = el.getAttribute('label') || el.getAttribute('aria-label') || '';
      if (/previous/i.test(label)) { el.click(); return true; }
      if (el.shadowRoot && walk(el.shadowRoot)) return true;
    }
    return false;
  };
  return walk(document);
})()
"""


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._id = 0

    async def send(self, method: str, **params: Any) -> Any:
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json()
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result")

    async def goto(self, url: str, settle: float = 5.0) -> None:
        await self.send("Page.navigate", url=url)
        await asyncio.sleep(settle)

    async def shot(self, name: str) -> None:
        result = await self.send("Page.captureScreenshot", format="png")
        path = DOCS / f"{name}.png"
        path.write_bytes(base64.b64decode(result["data"]))
        print(f"screenshots: wrote {path.relative_to(ROOT)}", flush=True)


async def main(ha_url: str) -> None:
    """Screenshots of the demo whose Home Assistant answers at `ha_url` (scripts/demo prints it)."""
    ha_url = ha_url.rstrip("/")
    site = Site(ha_port=urlsplit(ha_url).port or 8123, sim_port=0)
    tokens = json.loads((site.work / "tokens.json").read_text())
    DOCS.mkdir(exist_ok=True)
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 30
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{CDP_PORT}/json/list") as response:
                    targets = await response.json()
                page_target = next(t for t in targets if t["type"] == "page")
                break
            except aiohttp.ClientError, StopIteration:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        async with session.ws_connect(page_target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.send("Page.enable")
            await page.send(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=HEIGHT,
                deviceScaleFactor=1,
                mobile=False,
            )
            # Log in the way the frontend remembers a login: its tokens in localStorage.
            await page.goto(f"{ha_url}/auth/authorize", settle=1)
            stored = {
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "token_type": "Bearer",
                "expires_in": tokens["expires_in"],
                "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
                "hassUrl": ha_url,
                "clientId": f"{ha_url}/",
            }
            await page.send(
                "Runtime.evaluate",
                expression=f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(stored))});",
            )
            client = Client(session, ha_url, tokens["access_token"])
            devices = await client.ws({"type": "config/device_registry/list"})
            await client.close()
            device = next(d for d in devices if d["name"] == "Homevolt")
            await page.goto(f"{ha_url}/config/devices/device/{device['id']}", settle=7)
            await page.shot("device")
            # The whole device page: its controls (configuration) and every sensor.
            await page.send(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=3000,
                deviceScaleFactor=1,
                mobile=False,
            )
            await page.goto(f"{ha_url}/config/devices/device/{device['id']}", settle=7)
            await page.shot("device-full")
            await page.send(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=HEIGHT,
                deviceScaleFactor=1,
                mobile=False,
            )
            clamp = next(d for d in devices if d["name"] == "Homevolt grid sensor")
            await page.goto(f"{ha_url}/config/devices/device/{clamp['id']}", settle=7)
            await page.shot("grid-sensor")
            await page.goto(f"{ha_url}/calendar", settle=6)
            await page.shot("schedule-calendar")
            # The Energy dashboard (scripts/demo sets it up with the imported history).
            await page.send(
                "Emulation.setDeviceMetricsOverride",
                width=WIDTH,
                height=1500,
                deviceScaleFactor=1,
                mobile=False,
            )
            await page.goto(f"{ha_url}/energy", settle=10)
            # Yesterday: a whole day of the virtual Homevolt, sun included ("today" may be night).
            clicked = await page.send(
                "Runtime.evaluate",
                expression=PREVIOUS_PERIOD,
                returnByValue=True,
            )
            await asyncio.sleep(6)
            if not clicked.get("result", {}).get("value"):
                print("screenshots: no previous-period button found; energy.png shows today")
            await page.shot("energy")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
