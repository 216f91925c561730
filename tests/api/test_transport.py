"""Transport limits against hostile servers on 127.0.0.1: deadlines, size caps, one retry."""

import asyncio
import gzip
import json
import logging
import tracemalloc
from typing import Any

from aiohttp import web
import pytest

from custom_components.homevolt_local_api.api import (
    BatteryMode,
    HomevoltConnectionError,
    HomevoltOutcomeUnknownError,
    HomevoltResponseError,
    HomevoltTimeoutError,
)
from custom_components.homevolt_local_api.api.const import MAX_BODY_BYTES
from tests.api.conftest import FakeDevice
from tests.conftest import load_fixture
from tests.hostile import MIB, gzip_bomb, padded, reset, send_gzip, stream_zeros, trickle

STATUS = load_fixture("status_2026.json")
OK = "ecu-hub-esp32>  {cmd}\nCommand '{cmd}' executed successfully\n"
IDLE = {
    "local_mode": True,
    "schedule_id": "Manual Schedule",
    "schedule": [{"id": 1, "type": 0, "from": 1781596800}],
}


async def test_trickling_answer_ends_at_the_deadline(device: FakeDevice, make_client: Any) -> None:
    finished: list[bool] = []

    async def slow(request: web.Request) -> web.StreamResponse:
        # Each byte comes well within any socket read timeout; the whole takes 10 s.
        return await trickle(request, padded(STATUS, 200), interval=0.05, finished=finished)

    device.route("GET", "/status.json", slow)
    with pytest.raises(HomevoltTimeoutError, match="did not answer in time"):
        await make_client(deadline=0.3).status()
    assert not finished


async def test_an_action_does_not_wait_for_a_hung_read(
    device: FakeDevice, make_client: Any
) -> None:
    device.json("/ems.json", load_fixture("ems_2026_cluster.json"))
    device.json("/schedule.json", IDLE)

    async def console(request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(text=OK.format(cmd=form["cmd"]))

    device.route("POST", "/console.json", console)
    client = make_client(deadline=0.3)
    await client.ems()  # the rated power an action needs is known
    finished: list[bool] = []

    async def hung(request: web.Request) -> web.StreamResponse:
        body = padded(load_fixture("ems_2026_cluster.json"), 20_000)
        return await trickle(request, body, interval=0.05, finished=finished)

    device.route("GET", "/ems.json", hung)
    poll = asyncio.create_task(client.ems())
    await asyncio.sleep(0)
    schedule = await client.set_schedule(BatteryMode.IDLE)
    assert schedule.entries
    # The action went through while the hung answer was still trickling: it waited for the
    # deadline of the poll's request, not for the device.
    assert not finished
    assert poll.done()
    with pytest.raises(HomevoltTimeoutError):
        poll.result()
    assert [seen.form["cmd"] for seen in device.posts("/console.json")] == ["sched_set 0"]


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "chunked"])
async def test_a_50_mib_answer_is_refused_without_holding_it(
    device: FakeDevice, make_client: Any, declare_length: bool
) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        return await stream_zeros(request, 50 * MIB, declare_length=declare_length)

    device.route("GET", "/ems.json", huge)
    client = make_client()
    tracemalloc.start()
    try:
        with pytest.raises(HomevoltResponseError, match="larger than 4 MiB"):
            await client.ems()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Memory, not time: at most the cap plus buffers, never the 50 MiB.
    assert peak < 3 * MAX_BODY_BYTES


async def test_a_gzip_bomb_is_refused_without_expanding_it(
    device: FakeDevice, make_client: Any
) -> None:
    bomb = gzip_bomb(100)
    assert len(bomb) < MIB

    async def handler(request: web.Request) -> web.StreamResponse:
        return await send_gzip(request, bomb)

    device.route("GET", "/ems.json", handler)
    tracemalloc.start()
    try:
        with pytest.raises(HomevoltResponseError, match="larger than 4 MiB"):
            await make_client().ems()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_BODY_BYTES


async def test_compressed_answers_still_read(device: FakeDevice, make_client: Any) -> None:
    body = gzip.compress(json.dumps(STATUS).encode())

    async def handler(request: web.Request) -> web.StreamResponse:
        return await send_gzip(request, body)

    device.route("GET", "/status.json", handler)
    assert (await make_client().status()).esp_firmware == "3056-1a3446ed"


async def test_an_answer_without_a_declared_length_still_reads(
    device: FakeDevice, make_client: Any
) -> None:
    body = json.dumps(STATUS).encode()

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 100):
            await response.write(body[start : start + 100])
        await response.write_eof()
        return response

    device.route("GET", "/status.json", chunked)
    assert (await make_client().status()).esp_firmware == "3056-1a3446ed"


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", b"not gzip at all", "compressed answer is corrupt"),
        ("br", b"whatever", "unsupported content encoding"),
    ],
)
async def test_bad_encodings(
    device: FakeDevice, make_client: Any, encoding: str, body: bytes, message: str
) -> None:
    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": encoding})

    device.route("GET", "/status.json", handler)
    with pytest.raises(HomevoltResponseError, match=message):
        await make_client().status()


def _flaky(first: str, answer: Any) -> Any:
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            if first == "reset":
                return await reset(request)
            return web.Response(status=int(first), text="busy")
        return web.json_response(answer)

    return handler


@pytest.mark.parametrize("first", ["reset", "502", "503", "504"])
async def test_a_read_is_retried_once_quietly(
    device: FakeDevice, make_client: Any, first: str, caplog: pytest.LogCaptureFixture
) -> None:
    device.route("GET", "/status.json", _flaky(first, STATUS))
    caplog.set_level(logging.INFO)
    assert (await make_client().status()).esp_firmware == "3056-1a3446ed"
    assert len(device.seen) == 2
    ours = [record for record in caplog.records if record.name.startswith("custom_components")]
    assert not [record for record in ours if record.levelno >= logging.INFO]


@pytest.mark.parametrize("status", [500, 503])
async def test_only_one_retry(device: FakeDevice, make_client: Any, status: int) -> None:
    device.text("/status.json", "down", status=status)
    with pytest.raises(HomevoltConnectionError, match=f"error \\({status}\\)"):
        await make_client().status()
    assert len(device.seen) == (2 if status == 503 else 1)


async def test_a_reset_then_a_503_is_retried_once_by_each(
    device: FakeDevice, make_client: Any
) -> None:
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            return await reset(request)
        return web.Response(status=503, text="busy")

    device.route("GET", "/status.json", handler)
    with pytest.raises(HomevoltConnectionError, match="error \\(503\\)"):
        await make_client().status()
    # aiohttp resends a read once after a reset before any answer; the 503 gets our one retry.
    assert len(device.seen) == 3


async def test_a_reset_in_the_middle_of_an_answer_is_retried(
    device: FakeDevice, make_client: Any
) -> None:
    calls: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = 5000
            await response.prepare(request)
            await response.write(b'{"up_time": ')
            assert request.transport is not None
            request.transport.abort()
            return response
        return web.json_response(STATUS)

    device.route("GET", "/status.json", handler)
    assert (await make_client().status()).esp_firmware == "3056-1a3446ed"
    assert len(device.seen) == 2


async def test_a_write_is_never_retried(device: FakeDevice, make_client: Any) -> None:
    device.json("/ems.json", load_fixture("ems_2026_cluster.json"))
    device.json("/schedule.json", load_fixture("schedule_remote.json"))
    device.route("POST", "/console.json", reset)
    client = make_client()
    with pytest.raises(HomevoltOutcomeUnknownError):
        await client.set_schedule(BatteryMode.IDLE)
    assert len(device.posts("/console.json")) == 1
    device.text("/console.json", "busy", status=503, method="POST")
    with pytest.raises(HomevoltOutcomeUnknownError):
        await client.set_schedule(BatteryMode.IDLE)
    assert len(device.posts("/console.json")) == 2


async def test_secrets_never_leak(
    device: FakeDevice, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The password and its Basic header appear in no log, exception or repr."""
    caplog.set_level(logging.DEBUG)
    password = "s3cret-pass"
    header = "YWRtaW46czNjcmV0LXBhc3M="  # base64 of admin:s3cret-pass
    client = make_client(password, deadline=0.3)
    device.text("/status.json", "no", status=401)
    device.route("GET", "/ems.json", reset)

    async def slow(request: web.Request) -> web.StreamResponse:
        return await trickle(request, padded(STATUS, 100), interval=0.05)

    device.route("GET", "/schedule.json", slow)
    device.text("/params.json", "{", status=200)
    errors: list[BaseException] = []
    for read in (client.status, client.ems, client.schedule, client.params):
        try:
            await read()
        except Exception as err:
            errors.append(err)
    assert len(errors) == 4
    assert device.seen[0].headers["Authorization"] == f"Basic {header}"
    texts = [caplog.text, repr(client), repr(vars(client))]
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:
            texts += [str(chain), repr(chain)]
            chain = chain.__cause__ or chain.__context__
    for text in texts:
        assert password not in text
        assert header not in text
