"""Policy: defaults carry sources; county files override values; typos are refused."""

import pytest

from gis.errors import ValidationError
from gis.policy import Policy


def test_every_default_names_its_source_and_tag():
    frame = Policy.load().to_frame()
    assert len(frame) > 20
    assert frame["依据 source"].str.len().min() > 5
    assert set(frame["可信度 tag"]) <= {"C", "C-2nd", "R", "D"}


def test_national_numbers():
    p = Policy.load()
    assert p.idle.fee_rate == 0.2
    assert p.idle.take_back_years == 2
    assert p.unsupplied.rate_floor == 0.6
    assert p.low_efficiency.coverage_min == 0.3
    assert p.low_efficiency.plot_ratio_min_by_division["26"] == 0.6  # 化学原料和化学制品


def test_county_file_overrides_and_is_recorded(tmp_path):
    f = tmp_path / "county.toml"
    f.write_text("[idle]\nwatch_days = 60\n[low_efficiency.plot_ratio_min_by_division]\n"
                 '"34" = 1.2\n', encoding="utf-8")
    p = Policy.load(f)
    assert p.idle.watch_days == 60
    table = p.low_efficiency.plot_ratio_min_by_division
    assert table["34"] == 1.2 and table["13"] == 1.0  # other industries keep their default
    assert p.param("idle.watch_days").overridden
    assert "county.toml" in p.param("idle.watch_days").source


@pytest.mark.parametrize(
    ("text", "word"),
    [("[idle]\nfee_rat = 0.1\n", "fee_rat"), ("[idle]\nfee_rate = 'high'\n", "fee_rate"),
     ("[idle\n", "TOML")],
)
def test_typos_and_wrong_types_refused(tmp_path, text, word):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        Policy.load(f)
    assert word in exc.value.en
