"""PIE's judge semantics and the simulator config's hash."""

from __future__ import annotations

import pytest

from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.runtime.judge import accuracy
from pie_assets.versions import config_hash


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
        ("", "1", 0.0),
    ],
)
def test_pie_judge(output, expected, acc):
    assert accuracy(output, expected) == pytest.approx(acc)


@pytest.mark.parametrize(
    "output, expected, acc",
    [
        ("", "", 1.0),  # PIE: 0 (no expected line); here printing nothing is the answer ...
        (" \n\t\n", "\n\n", 1.0),  # ... after the same strip of both sides
        ("x", "", 0.0),  # anything else is wrong
        ("0", " \n", 0.0),
    ],
)
def test_empty_expected_output_differs_from_pie(output, expected, acc):
    assert accuracy(output, expected) == acc


@pytest.mark.parametrize(
    "raw, expected, acc",
    [
        (b"1\n\xff2\n3\n", "1\n2\n3\n", 2 / 3),  # PIE: 0; here only the line with the bad byte fails
        (b"1.0\xc3\n", "1.0\n", 0.0),  # a replacement character is not part of a float
        (b"\xff\xfe", "1\n", 0.0),
        (b"1\n2\n\x80\x81\n", "1\n2\n", 1.0),  # PIE: 0; here extra lines are ignored, whatever they hold
    ],
)
def test_undecodable_output_differs_from_pie(raw, expected, acc):
    """The annotator decodes program output as UTF-8 with replacement characters, then judges."""
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # what makes PIE score 0
    assert accuracy(raw.decode("utf-8", "replace"), expected) == pytest.approx(acc)


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
    changed.write_text(
        DEFAULT_CONFIG_PATH.read_text().replace('flags = ["-std=c++17", "-O3"]', 'flags = ["-std=c++17", "-O2"]')
    )
    assert SimulatorConfig.load(changed).hash != config.hash
    assert config.with_backend("native").hash != config.hash == SimulatorConfig.content_hash(config.values)


def test_measure_budget_is_the_backends_cpu_budget_below_the_wall_guard():
    config = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    budget = config.section("budget")
    assert (budget["measure_cpu_s"], budget["measure_wall_s"], config.section("gem5")["cpu_s"]) == (600, 1200, 120)
    for backend, cpu_s in (("cachegrind", 600.0), ("native", 600.0), ("gem5", 120.0)):  # gem5: PIE's 120 s
        measured = config.with_backend(backend).measure_budget()
        assert (measured.cpu_s, measured.wall_s, measured.instructions) == (cpu_s, 1200.0, 20_000_000_000)
    with pytest.raises(ValueError, match="gem5 CPU budget .*must be below the wall guard"):
        config.with_backend("gem5").with_section("gem5", cpu_s=1200).measure_budget()
    with pytest.raises(ValueError, match="cachegrind CPU budget"):
        config.with_section("budget", measure_cpu_s=1300).measure_budget()


def test_with_section_replaces_keys_and_rehashes():
    config = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    dynamic = config.with_section("compile", static=False)
    assert dynamic.section("compile")["static"] is False and dynamic.section("compile")["flags"] == [
        "-std=c++17",
        "-O3",
    ]
    assert dynamic.hash == SimulatorConfig.content_hash(dynamic.values) != config.hash
    assert config.section("compile")["static"] is True  # the original is untouched


def test_where_programs_run_is_not_in_the_hash(monkeypatch):
    """The engine, the Ray address and the INFRA retries say where and how programs run, not what
    they measure: switching to Ray must not make every runtime row stale. Every other key is hashed
    (the profile through the values it sets, not its name; the profiles table not at all)."""
    config = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    on_ray = config.with_section("measure", engine="ray", ray_address="ray://head:10001")
    assert (on_ray.engine, on_ray.ray_address, on_ray.hash) == ("ray", "ray://head:10001", config.hash)
    hashed = {name: section for name, section in config.values.items() if name not in ("profiles", "generated_tests")}
    assert config.hash == config_hash(
        {
            **hashed,
            "measure": {
                k: v
                for k, v in config.section("measure").items()
                if k not in ("engine", "ray_address", "infra_attempts", "profile")
            },
        }
    )
    assert config.with_section("measure", workers=3).hash != config.hash
    # The generated tests' settings count through the generated_tests table, not the hash.
    assert config.with_section("generated_tests", max_tests=3).hash == config.hash
    # Where tasks run is chosen when the config is loaded: `--engine` (Settings.engine), else $PIE_ENGINE.
    monkeypatch.setenv("PIE_ENGINE", "ray")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert config.engine == "local"  # loaded before: its engine does not move under it
    from_env = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    assert (from_env.engine, from_env.ray_address, from_env.hash) == ("ray", "127.0.0.1:6379", config.hash)
    assert SimulatorConfig.load(DEFAULT_CONFIG_PATH, engine="local").engine == "local"
    monkeypatch.setenv("PIE_ENGINE", "spark")
    with pytest.raises(ValueError, match="engine must be local or ray, not 'spark'"):
        _ = SimulatorConfig.load(DEFAULT_CONFIG_PATH).engine


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[measure\nbackend=")
    with pytest.raises(ValueError, match="simulator config .*bad.toml"):
        SimulatorConfig.load(bad)


def test_profiles_apply_their_overrides_and_the_default_keeps_the_files_hash(tmp_path, monkeypatch):
    """The default profile is the file as it is: its hash is the hash of the file's own values, so
    warehouses labelled before profiles existed stay fresh. pie-parity builds as PIE did."""
    default = SimulatorConfig.load(DEFAULT_CONFIG_PATH)
    parity = SimulatorConfig.load(DEFAULT_CONFIG_PATH, "pie-parity")
    assert (default.profile, parity.profile) == ("static", "pie-parity")
    assert default.profiles == ["pie-parity", "static"]
    plain = {name: section for name, section in default.values.items() if name not in ("profiles", "generated_tests")}
    plain["measure"] = {
        k: v for k, v in plain["measure"].items() if k not in ("engine", "ray_address", "infra_attempts", "profile")
    }
    assert default.hash == config_hash(plain)
    assert (parity.section("compile")["static"], parity.section("compile")["strip"]) == (False, False)
    assert parity.section("compile")["flags"] == ["-std=c++17", "-O3"] and parity.hash != default.hash
    monkeypatch.setenv("PIE_PROFILE", "pie-parity")
    assert SimulatorConfig.load(DEFAULT_CONFIG_PATH).hash == parity.hash
    assert SimulatorConfig.load(DEFAULT_CONFIG_PATH, "static").hash == default.hash  # an explicit one wins
    with pytest.raises(ValueError, match="unknown profile 'gem5-skylake'; known: pie-parity, static"):
        SimulatorConfig.load(DEFAULT_CONFIG_PATH, "gem5-skylake")
    # A config of its own without [profiles] is the default profile, as it was before profiles.
    monkeypatch.delenv("PIE_PROFILE")
    own = tmp_path / "simulator.toml"
    own.write_text(DEFAULT_CONFIG_PATH.read_text().split("\n[profiles.")[0])
    assert SimulatorConfig.load(own).profile == "static" and SimulatorConfig.load(own).hash == default.hash
