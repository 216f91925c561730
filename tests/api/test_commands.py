"""Command strings follow the grammar of the real console's `help` (argtable)."""

from datetime import datetime
import re

import pytest

from custom_components.homevolt_local_api.api import (
    BatteryMode,
    HomevoltValidationError,
    ScheduleLimits,
    commands,
)
from tests.conftest import FIXTURES

HELP = (FIXTURES / "console-help-2026-08-11.txt").read_text()


def grammar(name: str) -> tuple[set[str], set[str], set[str], list[str]]:
    """Boolean short flags, valued short flags, valued long options and positionals of a command."""
    usage = next(line for line in HELP.splitlines() if line.startswith(f"{name} "))
    bools = {c for group in re.findall(r"\[-([a-z]+)\]", usage) for c in group}
    short_valued = set(re.findall(r"\[-([a-z]) <\w+>\]", usage))
    long_valued = set(re.findall(r"\[--(\w+)=<\w+>\]", usage))
    positionals = re.findall(r"<(\w+)>", re.sub(r"\[[^\]]*\]", "", usage))
    return bools, short_valued, long_valued, positionals


def assert_in_grammar(command: str) -> None:
    tokens = command.split(" ")
    name, rest = tokens[0], tokens[1:]
    bools, short_valued, long_valued, positionals = grammar(name)
    seen_positionals = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if match := re.fullmatch(r"--(\w+)=(\S+)", token):
            assert match.group(1) in long_valued, token
        elif re.fullmatch(r"-[a-z]", token) and token[1] in short_valued:
            index += 1
            assert re.fullmatch(r"-?\d+", rest[index]), (token, rest[index])
        elif re.fullmatch(r"-[a-z]", token):
            assert token[1] in bools, token
        else:
            assert re.fullmatch(r"\d+", token), token
            seen_positionals.append(token)
        index += 1
    assert len(seen_positionals) == len(positionals), command


def test_grammar_is_read_from_the_capture() -> None:
    bools, short_valued, long_valued, positionals = grammar("sched_set")
    assert bools == {"m", "a", "e", "o"}
    assert {"s", "c", "d", "l", "x"} <= short_valued
    assert {"from", "to", "min", "max"} <= long_valued
    assert positionals == ["type"]
    assert grammar("sched_del")[3] == ["id"]


FULL = ScheduleLimits(
    setpoint=3000,
    max_charge=4000,
    max_discharge=2000,
    min_soc=20,
    max_soc=90,
    import_limit=11000,
    export_limit=5000,
    offline=True,
)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (commands.sched_set(BatteryMode.IDLE, ScheduleLimits(), 6000), "sched_set 0"),
        (
            commands.sched_set(BatteryMode.INVERTER_CHARGE, ScheduleLimits(setpoint=3000), 6000),
            "sched_set 1 -s 3000",
        ),
        (
            commands.sched_set(BatteryMode.SOLAR_CHARGE_DISCHARGE, FULL, 6000),
            "sched_set 8 -o --min=20 --max=90 -s 3000 -c 4000 -d 2000 -l 11000 -x 5000",
        ),
        (
            commands.sched_set(
                BatteryMode.GRID_CHARGE_DISCHARGE, ScheduleLimits(setpoint=-6000), 6000
            ),
            "sched_set 5 -s -6000",
        ),
        (
            commands.sched_add(
                BatteryMode.INVERTER_CHARGE,
                datetime(2025, 12, 15, 23),
                datetime(2025, 12, 16, 7),
                ScheduleLimits(max_charge=3000, max_soc=80),
                6000,
            ),
            "sched_add 1 --from=2025-12-15T23:00:00 --to=2025-12-16T07:00:00 --max=80 -c 3000",
        ),
        (commands.sched_del(12), "sched_del 12"),
        (commands.sched_clear(), "sched_clear"),
    ],
)
def test_exact_commands(command: str, expected: str) -> None:
    assert command == expected
    assert_in_grammar(command)


@pytest.mark.parametrize("mode", list(BatteryMode))
def test_every_mode_in_grammar(mode: BatteryMode) -> None:
    limits = FULL if not mode.signed_setpoint else ScheduleLimits(setpoint=-100)
    assert_in_grammar(commands.sched_set(mode, limits, 6000))
    assert_in_grammar(
        commands.sched_add(mode, datetime(2030, 1, 1), datetime(2030, 1, 2), limits, 6000)
    )


def test_mode_codes() -> None:
    assert [mode.code for mode in BatteryMode] == list(range(10))
    assert BatteryMode.from_code(9) is BatteryMode.FULL_SOLAR_EXPORT
    assert BatteryMode.from_code(10) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda: commands.sched_add(
            BatteryMode.IDLE, "2030-01-01", datetime(2030, 1, 2), ScheduleLimits(), 1
        ),  # type: ignore[arg-type]
        lambda: commands.sched_add(
            BatteryMode.IDLE, datetime(2030, 1, 2), datetime(2030, 1, 1), ScheduleLimits(), 1
        ),
        lambda: commands.sched_set(BatteryMode.IDLE, ScheduleLimits(), 0),
        lambda: commands.sched_set(BatteryMode.IDLE, ScheduleLimits(), True),  # type: ignore[arg-type]
        lambda: commands.sched_del("1; reset"),  # type: ignore[arg-type]
        lambda: commands.sched_del(True),  # type: ignore[arg-type]
    ],
)
def test_invalid_arguments(call: object) -> None:
    with pytest.raises(HomevoltValidationError):
        call()  # type: ignore[operator]
