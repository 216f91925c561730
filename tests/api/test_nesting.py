"""The 32-level nesting cap is exact: brackets inside strings and escaped quotes do not count."""

import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.homevolt_local_api.api import HomevoltResponseError
from custom_components.homevolt_local_api.api.client import _deeper_than
from custom_components.homevolt_local_api.api.const import MAX_JSON_DEPTH
from tests.api.conftest import FakeDevice
from tests.conftest import load_fixture

# Text that would shift every level if it were read as structure.
TRICKY = [
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}}",
    '"[{',  # an escaped quote, then brackets that are still text
    '\\"]}',  # an escaped backslash, an escaped quote
    "\\",  # ends in an escaped backslash: the next quote closes the string
    "\\\\[",
    "",
    "{}[]",
    "välj [å] 🔋 {",
]


def _depth(value: Any) -> int:
    """The reference: how deeply lists and objects nest, by walking the parsed value."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max((_depth(child) for child in value), default=0)
    return 0


def _nested(levels: int, inner: Any) -> Any:
    """`levels` of alternating lists and objects around `inner`, with tricky text at each."""
    value = inner
    for level in range(levels):
        text = TRICKY[level % len(TRICKY)]
        value = {text: value, "x": text} if level % 2 else [text, value, text]
    return value


def _status_with(junk: Any) -> Any:
    # The root object is a level of its own.
    return {**load_fixture("status_2026.json"), "junk": junk}


@pytest.mark.parametrize("compact", [True, False])
async def test_exactly_32_levels_are_read_33_are_refused(
    device: FakeDevice, make_client: Any, compact: bool
) -> None:
    client = make_client()
    separators = (",", ":") if compact else (", ", ": ")
    for levels, refused in ((MAX_JSON_DEPTH - 1, False), (MAX_JSON_DEPTH, True)):
        payload = _status_with(_nested(levels, "]]}}"))
        assert _depth(payload) == levels + 1
        text = json.dumps(payload, ensure_ascii=compact, separators=separators)
        device.text("/status.json", text)
        if refused:
            with pytest.raises(HomevoltResponseError, match="nested deeper"):
                await client.status()
        else:
            assert (await client.status()).esp_firmware


async def test_brackets_in_strings_never_count(device: FakeDevice, make_client: Any) -> None:
    # Shallow, but its strings hold far more than 32 opening brackets.
    payload = _status_with({text: [text * 20] for text in TRICKY})
    device.json("/status.json", payload)
    assert (await make_client().status()).esp_firmware


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.sampled_from(TRICKY) | st.text(),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(TRICKY) | st.text(max_size=3), children, max_size=3)
        ),
        max_leaves=60,
    ),
    st.integers(min_value=0, max_value=40),
    st.booleans(),
)
def test_the_text_check_agrees_with_a_walk_of_the_value(
    junk: Any, wrap: int, ascii_only: bool
) -> None:
    value = _nested(wrap, junk)
    text = json.dumps(value, ensure_ascii=ascii_only)
    depth = _depth(value)
    for levels in {depth - 1, depth, MAX_JSON_DEPTH}:
        if levels >= 0:
            assert _deeper_than(text, levels) is (depth > levels)
