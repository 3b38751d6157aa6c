"""The reads parse functions build their typed specs with (alphabridge.checked): values as given,
lists as tuples, a wrong-typed or missing value refused by its dotted key."""
import pytest

from alphabridge import checked
from alphabridge.errors import ConfigError


def test_checked_reads_keep_the_values_as_given():
    raw = {"a": {"n": 2, "xs": [1, 2.5], "s": None}}
    assert checked.value(raw, "a.n", float) == 2 and type(checked.value(raw, "a.n", float)) is int
    assert checked.value(raw, "a.xs", tuple[float, ...]) == (1, 2.5)
    assert checked.value(raw, "a.s", str | None) is None
    with pytest.raises(ConfigError, match=r"'a\.xs': expected a list of 3"):
        checked.value(raw, "a.xs", tuple[int, int, int])
    with pytest.raises(ConfigError, match=r"'a\.m': missing"):
        checked.value(raw, "a.m", int)
