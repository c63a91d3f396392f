"""PIE's judge semantics and the simulator config's hash."""

from __future__ import annotations

import pytest

from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig, config_hash
from pie_assets.runtime.judge import accuracy


@pytest.mark.parametrize(
    "output, expected, acc",
    [
        ("1\n2\n3\n", "1\n2\n3\n", 1.0),
        ("1\n2\n3", "1\n2\n3\n\n\n", 1.0),  # the whole output is stripped
        ("  1\n2\n3  \n", "1\n2\n3", 1.0),  # ... including leading/trailing whitespace of it
        ("1 \n2\n3", "1\n2\n3", 1.0),  # "1 " parses as the float 1.0
        ("a \nb", "a\nb", 0.5),  # inner trailing space on a non-number line: not equal
        ("3.14159", "3.1416", 1.0),  # |diff| < 1e-3
        ("3.14", "3.1416", 0.0),  # |diff| = 1.6e-3
        ("1.0005", "1", 1.0),
        ("1\n2", "1\n2\n3\n4", 0.5),  # missing lines do not match
        ("1\n2\n3\n4\n5", "1\n2", 1.0),  # extra lines are not counted (PIE)
        ("1\n9\n3", "1\n2\n3", 2 / 3),
        ("nan", "nan", 1.0),  # equal strings
        ("", "", 1.0),
        ("x", "", 0.0),
        ("", "1", 0.0),
    ],
)
def test_pie_judge(output, expected, acc):
    assert accuracy(output, expected) == pytest.approx(acc)


def test_versioned_config_loads_and_hash_ignores_layout(tmp_path):
    config = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    assert config.backend == "cachegrind"
    assert config.section("cachegrind")["LL"] == "2097152,16,64"
    assert config.section("cachegrind")["weights"]["DLmr"] == 100
    # Comments and spacing do not change the hash; a value does.
    reformatted = tmp_path / "sim.toml"
    reformatted.write_text("# a comment\n" + DEFAULT_CONFIG_PATH.read_text().replace(" = ", "="))
    assert SimulatorConfig.load(reformatted).hash == config.hash
    changed = tmp_path / "changed.toml"
    changed.write_text(DEFAULT_CONFIG_PATH.read_text().replace('flags = ["-std=c++17", "-O3"]', 'flags = ["-std=c++17", "-O2"]'))
    assert SimulatorConfig.load(changed).hash != config.hash
    assert config.with_backend("native").hash != config.hash == config_hash(config.values)


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[measure\nbackend=")
    with pytest.raises(ValueError, match="simulator config .*bad.toml"):
        SimulatorConfig.load(bad)
