"""The device console behind POST /console.json: the schedule and parameter commands.

Options follow the grammar of the real console's `help` (argtable on top of getopt_long):
short flags take their value from the next word (`-s 3000`, also `-s -3000`) or glued
(`-s3000`), long options from `=` or the next word, boolean flags can be combined (`-maeo`),
and options and positionals may come in any order. Unknown commands and flags fail hard.
"""

from dataclasses import dataclass
from typing import Any

from .model import BatterySystem, Entry

PROMPT = "ecu-hub-esp32> "

SCHED_BOOL = {
    "m": "use_ffr_custom_trig_freq",
    "a": "ffr_rearm",
    "e": "test_end_schedule",
    "o": "offline",
}
SCHED_SHORT = {
    "s": "setpoint",
    "c": "max_charge",
    "d": "max_discharge",
    "n": "fcr_n_power",
    "u": "fcr_d_up_power",
    "w": "fcr_d_down_power",
    "f": "ffr_power",
    "i": "idle_threshold_power",
    "r": "discharge_threshold_power",
    "t": "test_sequence",
    "l": "import_limit",
    "x": "export_limit",
}
SCHED_TIMES = {
    "from",
    "to",
    "fcr_start_from",
    "import_energy_limit_from",
    "import_energy_limit_to",
    "export_energy_limit_from",
    "export_energy_limit_to",
}
SCHED_LONG = (
    set(SCHED_SHORT.values())
    | SCHED_TIMES
    | {
        "min",
        "max",
        "main_fuse",
        "charge_ramp_up",
        "discharge_ramp_up",
        "import_energy_limit",
        "import_energy_max_compensation",
        "export_energy_limit",
        "export_energy_max_compensation",
    }
)
MAX_TYPE = 9


class ConsoleError(Exception):
    """A command failed; the text is what the device prints."""


@dataclass
class Reply:
    """What the console answered, and whether it asked for a reboot (after delay ms)."""

    text: str
    reboot_after_ms: int | None = None


def _getopt(
    words: list[str], bools: dict[str, str], short: dict[str, str], long: set[str], name: str
) -> tuple[dict[str, Any], list[str]]:
    options: dict[str, Any] = {}
    positionals: list[str] = []
    long_bools = set(bools.values())
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and len(word) > 2:
            key, has_value, value = word[2:].partition("=")
            if key in long_bools and not has_value:
                options[key] = True
            elif key in long:
                if not has_value:
                    index += 1
                    if index >= len(words):
                        raise ConsoleError(f"{name}: option '--{key}' requires an argument")
                    value = words[index]
                options[key] = value
            else:
                raise ConsoleError(f"{name}: invalid option -- '{key}'")
        elif word.startswith("-") and len(word) > 1 and not word[1:].lstrip("-").isdigit():
            letters = word[1:]
            while letters:
                letter, letters = letters[0], letters[1:]
                if letter in bools:
                    options[bools[letter]] = True
                elif letter in short:
                    if not letters:
                        index += 1
                        if index >= len(words):
                            raise ConsoleError(f"{name}: option requires an argument -- '{letter}'")
                        letters = words[index]
                    options[short[letter]] = letters
                    letters = ""
                else:
                    raise ConsoleError(f"{name}: invalid option -- '{letter}'")
        else:
            positionals.append(word)
        index += 1
    return options, positionals


def _int(name: str, key: str, text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise ConsoleError(f'{name}: invalid argument "{text}" to option --{key}') from None


class Console:
    """Runs console commands against a battery system."""

    def __init__(self, system: BatterySystem) -> None:
        self.system = system

    def run(self, command: str) -> Reply:
        words = command.split()
        if not words:
            return Reply(PROMPT + "\n")
        name = words[0]
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            return Reply(f"{PROMPT} {command}\nUnrecognized command\n")
        try:
            result = handler(name, words[1:])
        except ConsoleError as err:
            return Reply(
                f"{PROMPT} {command}\n{err}\nCommand '{command}' returned non-zero error code: 0x1 (ERROR)\n"
            )
        text, reboot = result if isinstance(result, tuple) else (result, None)
        return Reply(
            f"{PROMPT} {command}\n{text}\nCommand '{command}' executed successfully\n", reboot
        )

    # ------------------------------------------------------------------------------------
    # schedule

    def _entry(self, name: str, words: list[str]) -> Entry:
        options, positionals = _getopt(words, SCHED_BOOL, SCHED_SHORT, SCHED_LONG, name)
        if len(positionals) != 1:
            raise ConsoleError(f"{name}: expected exactly one <type>")
        kind = _int(name, "type", positionals[0])
        if not 0 <= kind <= MAX_TYPE:
            raise ConsoleError(f"{name}: invalid type {kind}")
        entry = Entry(id=0, start=int(self.system.now), end=0, type=kind)
        for key, value in options.items():
            if value is True:
                entry.params[key] = True
            elif key in SCHED_TIMES:
                try:
                    moment = int(self.system.local_wall_time(value))
                except ValueError:
                    raise ConsoleError(
                        f'{name}: invalid time "{value}" to option --{key}'
                    ) from None
                if key == "from":
                    entry.start = moment
                elif key == "to":
                    entry.end = moment
                else:
                    entry.params[key] = moment
            elif key in ("min", "max"):
                number = _int(name, key, value)
                if not 0 <= number <= 100:
                    raise ConsoleError(f"{name}: --{key} must be 0-100")
                setattr(entry, f"{key}_soc", number)
            else:
                entry.params[key] = _int(name, key, value)
        if entry.end and entry.end <= entry.start:
            raise ConsoleError(f"{name}: --to must be after --from")
        return entry

    def _cmd_sched_set(self, name: str, words: list[str]) -> str:
        entry = self.system.add_entry(self._entry(name, words), replace=True)
        return f"Schedule set: id {entry.id}, type {entry.type}"

    def _cmd_sched_add(self, name: str, words: list[str]) -> str:
        if not any(word.startswith("--from") for word in words):
            raise ConsoleError(f"{name}: --from is required")
        entry = self.system.add_entry(self._entry(name, words), replace=False)
        return f"Schedule added: id {entry.id}, type {entry.type}"

    def _cmd_sched_del(self, name: str, words: list[str]) -> str:
        if len(words) != 1:
            raise ConsoleError(f"{name}: expected <id>")
        entry_id = _int(name, "id", words[0])
        if not self.system.delete_entry(entry_id):
            raise ConsoleError(f"Schedule ID {entry_id} not found")
        return f"Schedule ID {entry_id} deleted"

    def _cmd_sched_clear(self, name: str, words: list[str]) -> str:
        if words:
            raise ConsoleError(f"{name}: takes no arguments")
        self.system.clear_schedule()
        return "Schedules cleared"

    def _cmd_sched_list(self, name: str, words: list[str]) -> str:
        if words:
            raise ConsoleError(f"{name}: takes no arguments")
        lines = [f"Active Schedules ({len(self.system.schedule)}):"]
        for entry in self.system.schedule:
            status = "ACTIVE" if entry.active(self.system.now) else "PENDING"
            lines.append(
                f"\nID: {entry.id}\n  Start: {entry.start}\n  End: {entry.end}\n"
                f"  Type: {entry.type}\n  Status: {status}"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------
    # parameters

    def _param(self, name: str, key: str) -> Any:
        param = self.system.params.get(key)
        if param is None:
            raise ConsoleError(f"{name}: unknown parameter '{key}'")
        return param

    def _cmd_param_get(self, name: str, words: list[str]) -> str:
        if len(words) != 1:
            raise ConsoleError(f"{name}: expected <key>")
        param = self._param(name, words[0])
        return f"{param.name}: {' '.join(str(value) for value in param.value)}"

    def _cmd_param_set(self, name: str, words: list[str]) -> str:
        options, positionals = _getopt(words, {"f": "force", "c": "commit"}, {}, set(), name)
        if len(positionals) < 2:
            raise ConsoleError(f"{name}: expected <key> <value>")
        key, value = positionals[0], positionals[1]
        self._param(name, key)
        try:
            stored = self.system.set_param(key, value, store=bool(options.get("commit")))
        except ValueError:
            raise ConsoleError(f"{name}: invalid value '{value}' for {key}") from None
        return f"Parameter '{key}' set to {stored}"

    def _cmd_param_store(self, name: str, words: list[str]) -> str:
        _, positionals = _getopt(words, {"c": "clean"}, {}, set(), name)
        if positionals:
            param_id = _int(name, "param_id", positionals[0])
            matches = [p for p in self.system.params.values() if p.param_id == param_id]
            if not matches:
                raise ConsoleError(f"{name}: unknown parameter id {param_id}")
            matches[0].stored = list(matches[0].value)
        else:
            self.system.store_params()
        return "Parameters stored"

    def _cmd_param_list(self, name: str, words: list[str]) -> str:
        options, positionals = _getopt(
            words, {"d": "defaults", "n": "non_defaults"}, {}, set(), name
        )
        if positionals:
            raise ConsoleError(f"{name}: takes no positional arguments")
        lines = []
        for param in self.system.params.values():
            if options.get("non_defaults") and param.value == param.default:
                continue
            shown = param.default if options.get("defaults") else param.value
            lines.append(
                f"{param.param_id:4d} {param.name}: {' '.join(str(v) for v in shown)}  ({param.help})"
            )
        return "\n".join(lines)

    def _cmd_reset(self, name: str, words: list[str]) -> tuple[str, int | None]:
        if len(words) > 1:
            raise ConsoleError(f"{name}: expected at most <reset_delay_ms>")
        delay = _int(name, "reset_delay_ms", words[0]) if words else 100
        if delay < 0:
            raise ConsoleError(f"{name}: delay must not be negative")
        if delay == 0:
            return "Reboot aborted", None
        return f"Rebooting in {delay} ms", delay
