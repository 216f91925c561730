"""Screenshots of the demo in a real browser (headless Chromium driven over DevTools).

`scripts/screenshots` starts the demo and Chromium on the host; this connects to Chromium's
DevTools port, logs in as the demo user and writes docs/*.png.
"""

import asyncio
import base64
from collections.abc import Callable
import json
from pathlib import Path
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from demo.__main__ import OURS, Client, Site

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CDP_PORT = 9333
WIDTH, HEIGHT = 1400, 1000


# Clicks the first button whose label matches, wherever the frontend's shadow DOMs put it;
# true when it found one.
CLICK_LABELLED = """
((pattern) => {
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const label = el.getAttribute('label') || el.getAttribute('aria-label') || '';
      if (pattern.test(label)) { el.click(); return true; }
      if (el.shadowRoot && walk(el.shadowRoot)) return true;
    }
    return false;
  };
  return walk(document);
})
"""
# The Energy dashboard's "previous period" button.
PREVIOUS_PERIOD = f"({CLICK_LABELLED})(/previous/i)"


# Every text the page shows, through the frontend's shadow DOMs (light and shadow children).
DEEP_TEXT = """
(() => {
  const parts = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.nodeValue); return; }
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return parts.join(' ').replace(/\\s+/g, ' ');
})()
"""

# The row of one entity on the device page (`tag`: the row's element), through the frontend's
# shadow DOMs, scrolled into view; null when there is none.
FIND_ROW = """
const findRow = (tag, entityId) => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === tag && el._config && el._config.entity === entityId) return el;
      if (el.shadowRoot) { const found = find(el.shadowRoot); if (found) return found; }
    }
    return null;
  };
  const row = find(document);
  if (row) row.scrollIntoView({block: 'center'});
  return row;
};
"""

# The number row of one entity: moves its slider to a value as a drag ends (a `change` event),
# or reads where the slider stands; null when there is no such row.
NUMBER_SLIDER = f"""
((entityId, value) => {{
  {FIND_ROW}
  const row = findRow('HUI-NUMBER-ENTITY-ROW', entityId);
  const slider = row && row.shadowRoot && row.shadowRoot.querySelector('ha-slider');
  if (!slider) return null;
  if (value !== null) {{
    slider.value = value;
    slider.dispatchEvent(new Event('change', {{bubbles: true, composed: true}}));
  }}
  return Number(slider.value);
}})
"""

# The select row of one entity: picks an option as the list does (a `selected` event), or
# reads what the list shows; null when there is no such row.
SELECT_ROW = f"""
((entityId, option) => {{
  {FIND_ROW}
  const row = findRow('HUI-SELECT-ENTITY-ROW', entityId);
  const list = row && row.shadowRoot && row.shadowRoot.querySelector('ha-select');
  if (!list) return null;
  if (option !== null) {{
    list.dispatchEvent(new CustomEvent('selected', {{detail: {{value: option}}}}));
  }}
  return list.value;
}})
"""

# The names of the device page's rows that the page cuts short (ends them with an ellipsis).
CUT_NAMES = """
(() => {
  const cut = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'HUI-GENERIC-ENTITY-ROW' && el.shadowRoot) {
        const info = el.shadowRoot.querySelector('.info');
        if (info && info.scrollWidth > info.clientWidth + 1) cut.push(info.textContent.trim());
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return cut;
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

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def text(self) -> str:
        return str(await self.evaluate(DEEP_TEXT))

    async def shot(self, name: str) -> None:
        await self.shot_at(DOCS / f"{name}.png")

    async def shot_at(self, path: Path) -> None:
        result = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(result["data"]))
        print(f"screenshots: wrote {path.relative_to(ROOT)}", flush=True)


type Expect = Callable[[bool, str], None]
SETPOINT = "number.homevolt_power_setpoint"
MODE = "select.homevolt_battery_mode"


async def check_action_fields(page: Page, ha_url: str, site: Site, expect: Expect) -> None:
    """The action editor in UI mode lists the charge action's fields (services.yaml)."""
    chosen = json.dumps({"action": f"{OURS}.charge", "data": {}})
    await page.evaluate(
        f"localStorage.setItem('panel-dev-action-state-service-data', {json.dumps(chosen)});"
        "localStorage.setItem('panel-dev-action-state-yaml-mode', 'false');"
    )
    await page.goto(f"{ha_url}/developer-tools/action", settle=8)
    await page.shot_at(site.work / "check-action-fields.png")
    text = await page.text()
    # Names, and one field's description, from strings.json.
    wanted = ["Battery", "Power", "Target state of charge", "Until", "leave empty to keep going"]
    missing = [field for field in wanted if field not in text]
    expect(not missing, f"the action editor shows charge's fields in UI mode (missing: {missing})")


async def check_refused_number(
    page: Page, client: Client, *, ha_url: str, device_id: str, site: Site, expect: Expect
) -> None:
    """A change the battery refuses (local mode off) leaves the slider at the real value."""
    states = await client.states()
    expect(
        states["switch.homevolt_local_mode"]["state"] == "off",
        "local mode is off, so the battery refuses a new power setpoint",
    )
    real = float(states[SETPOINT]["state"])
    wanted = real + 1000 if real + 1000 <= states[SETPOINT]["attributes"]["max"] else real - 1000
    await page.goto(f"{ha_url}/config/devices/device/{device_id}", settle=7)
    moved = await page.evaluate(f"({NUMBER_SLIDER})({json.dumps(SETPOINT)}, {wanted})")
    await asyncio.sleep(5)
    shown = await page.evaluate(f"({NUMBER_SLIDER})({json.dumps(SETPOINT)}, null)")
    await page.shot_at(site.work / "check-refused-number.png")
    after = (await client.states())[SETPOINT]["state"]
    expect(
        moved == wanted and float(after) == real and shown == real,
        f"after a refused change to {wanted:.0f} W the slider snaps back to {real:.0f} W "
        f"(moved to {moved}, shows {shown}, state {after})",
    )


async def check_names_fit(
    page: Page, *, ha_url: str, device_id: str, site: Site, expect: Expect
) -> None:
    """No name of the device page's controls and sensors is cut, on a desktop and a phone."""
    for width, height, mobile in ((WIDTH, HEIGHT, False), (390, 844, True)):
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        await page.goto(f"{ha_url}/config/devices/device/{device_id}", settle=7)
        await page.shot_at(site.work / f"check-names-{width}.png")
        cut = await page.evaluate(CUT_NAMES)
        expect(cut == [], f"no name on the device page is cut at {width} px wide (cut: {cut})")
    await page.send(
        "Emulation.setDeviceMetricsOverride",
        width=WIDTH,
        height=HEIGHT,
        deviceScaleFactor=1,
        mobile=False,
    )


async def check_refused_mode(
    page: Page, client: Client, *, ha_url: str, device_id: str, site: Site, expect: Expect
) -> None:
    """A mode the battery refuses (local mode off): the list goes back to the mode in force."""
    before = (await client.states())[MODE]
    real, options = before["state"], before["attributes"]["options"]
    wanted = next(option for option in options if option != real)
    await page.goto(f"{ha_url}/config/devices/device/{device_id}", settle=7)
    picked = await page.evaluate(f"({SELECT_ROW})({json.dumps(MODE)}, {json.dumps(wanted)})")
    # Before the two seconds after which the frontend's list gives up on a pick by itself.
    await asyncio.sleep(1)
    shown = await page.evaluate(f"({SELECT_ROW})({json.dumps(MODE)}, null)")
    await page.shot_at(site.work / "check-refused-mode.png")
    after = (await client.states())[MODE]
    expect(
        # The refusal wrote the state again: the pick reached Home Assistant.
        picked is not None
        and after["last_updated"] > before["last_updated"]
        and after["state"] == real
        and shown == real,
        f"after a refused choice of {wanted} the mode list is back at {real} within a second "
        f"(shows {shown}, state {after['state']})",
    )


async def check_reauth_title(
    page: Page, client: Client, *, ha_url: str, sim_url: str, site: Site, expect: Expect
) -> None:
    """A password changed on the battery: the re-authentication card's title resolves."""
    async with client.session.post(
        f"{sim_url}/_sim/password", json={"password": "changed-on-the-battery"}
    ) as response:
        response.raise_for_status()
    # The integration waits out a possible login back-off (someone else's wrong password) for
    # about five minutes, running or starting, before it asks: restart the entry, as an owner
    # restarting Home Assistant would, and wait that long.
    entry = (await client.ws({"type": "config_entries/get", "domain": OURS}))[0]
    async with client.session.post(
        f"{ha_url}/api/config/config_entries/entry/{entry['entry_id']}/reload",
        headers=client.headers,
    ) as response:
        response.raise_for_status()
    deadline = time.monotonic() + 8 * 60
    flows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        flows = [
            flow
            for flow in await client.ws({"type": "config_entries/flow/progress"})
            if flow["handler"] == OURS and flow["context"].get("source") == "reauth"
        ]
        if flows:
            break
        await asyncio.sleep(2)
    expect(bool(flows), "a changed password starts re-authentication")
    await page.goto(f"{ha_url}/config/integrations/dashboard", settle=8)
    await page.shot_at(site.work / "check-reauth.png")
    text = await page.text()
    broken = [word for word in ("MISSING_VALUE", "formatjs", "Translation") if word in text]
    expect(
        not broken and f"Homevolt ({sim_url})" in text,
        f"the re-authentication card reads 'Homevolt ({sim_url})' (broken: {broken})",
    )


async def take_pictures(page: Page, ha_url: str, devices: list[dict[str, Any]]) -> None:
    """docs/*.png: the device pages, the schedule calendar and the Energy dashboard."""
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
    # The list view: each entry's times and whole title (the month view cuts them).
    if not await page.evaluate(f"({CLICK_LABELLED})(/^list/i)"):
        print("screenshots: no list view button found; the calendar shows the month")
    await asyncio.sleep(3)
    await page.shot("schedule-calendar")
    # The Energy dashboard (scripts/demo sets it up with the imported history).
    await page.send(
        "Emulation.setDeviceMetricsOverride",
        # Tall enough that the floating period bar covers none of the totals.
        width=WIDTH,
        height=1750,
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


async def main(ha_url: str, sim_url: str, *, pictures: bool = True) -> int:
    """Screenshots and browser checks of the demo at `ha_url`; 1 when a check failed.

    `scripts/screenshots` reads `ha_url` and `sim_url` from what scripts/demo prints.
    """
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
            if pictures:
                await take_pictures(page, ha_url, devices)

            # The browser checks (issue 16), after the pictures: the last one breaks the login.
            failures: list[str] = []

            def expect(condition: bool, message: str) -> None:
                print(f"  {'ok  ' if condition else 'FAIL'} {message}", flush=True)
                if not condition:
                    failures.append(message)

            client = Client(session, ha_url, tokens["access_token"])
            try:
                await check_action_fields(page, ha_url, site, expect)
                await check_refused_number(
                    page, client, ha_url=ha_url, device_id=device["id"], site=site, expect=expect
                )
                await check_names_fit(
                    page, ha_url=ha_url, device_id=device["id"], site=site, expect=expect
                )
                await check_refused_mode(
                    page, client, ha_url=ha_url, device_id=device["id"], site=site, expect=expect
                )
                await check_reauth_title(
                    page, client, ha_url=ha_url, sim_url=sim_url, site=site, expect=expect
                )
            finally:
                await client.close()
    print(
        "screenshots: browser checks passed"
        if not failures
        else f"screenshots: browser checks FAILED: {len(failures)} problem(s)",
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], pictures="--no-pictures" not in sys.argv)))
