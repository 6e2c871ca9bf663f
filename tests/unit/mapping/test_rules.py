"""The rules a deployment may set (contract §2 windows, §5 thresholds): read from the
environment through the one settings model by every surface, refused with one line naming the
variable when unusable."""

from __future__ import annotations

import pytest

from adapter.errors import ConfigurationError
from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import extract_patient
from adapter.mapping.rules import RULE_VARIABLES, Rules, Windows, rules_of
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records
from adapter.settings import load
from tests.support.records import NOW, default_patient, measurement

STALE = "2024-04-01T09:00:00Z"  # 61 days before NOW


@pytest.fixture
def rules_from(monkeypatch):
    """The rules of the settings read from an environment holding only ``env``'s rules."""

    def read(env):
        for name in RULE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return rules_of(load())

    return read


def test_no_variables_give_the_contract_defaults(rules_from):
    assert rules_from({}) == Rules()
    assert rules_from({"SPINEMETS_WINDOW_PERFORMANCE_DAYS": " "}) == Rules()
    assert Rules().windows == Windows(14, 14, 30, 30, 30, 90, 30)
    assert (Rules().inr_max, Rules().platelets_min_augmentation) == (1.5, 50.0)
    assert Rules().platelets_min_fixation == 100.0


def test_each_variable_overrides_its_rule_only(rules_from):
    rules = rules_from(
        {
            "SPINEMETS_WINDOW_PERFORMANCE_DAYS": "90",
            "SPINEMETS_WINDOW_STAGING_DAYS": "180",
            "SPINEMETS_INR_MAX": "1.8",
            "SPINEMETS_PLATELETS_MIN_FIXATION": "80",
            "SPINEMETS_OTHER": "x",
        }
    )
    assert rules.windows == Windows(performance=90, staging=180)
    assert (rules.inr_max, rules.platelets_min_fixation) == (1.8, 80.0)
    assert rules.platelets_min_augmentation == 50.0


def test_every_variable_is_read(rules_from):
    values = {name: "2" for name in RULE_VARIABLES}
    rules = rules_from(values)
    assert rules.windows == Windows(2, 2, 2, 2, 2, 2, 2)
    assert (rules.inr_max, rules.platelets_min_augmentation, rules.platelets_min_fixation) == (
        2.0,
        2.0,
        2.0,
    )
    assert (rules.reimage_from_days, rules.reimage_until_days) == (2, 2)


def test_re_imaging_after_a_decompression_is_due_from_day_42_to_day_120_by_default(rules_from):
    rules = rules_from({})
    assert (rules.reimage_from_days, rules.reimage_until_days) == (42, 120)
    with pytest.raises(ConfigurationError) as caught:
        rules_from({"SPINEMETS_REIMAGE_FROM_DAYS": "60", "SPINEMETS_REIMAGE_UNTIL_DAYS": "50"})
    assert str(caught.value).startswith("SPINEMETS_REIMAGE_UNTIL_DAYS")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SPINEMETS_WINDOW_PALSY_DAYS", "two weeks", "from 1 to 3650"),
        ("SPINEMETS_WINDOW_PALSY_DAYS", "0", "from 1 to 3650"),
        ("SPINEMETS_WINDOW_PALSY_DAYS", "14.5", "whole number of days"),
        ("SPINEMETS_INR_MAX", "nan", "from 1 to 5"),
        ("SPINEMETS_PLATELETS_MIN_AUGMENTATION", "50000", "from 1 to 1000"),
    ],
)
def test_an_unusable_value_names_its_variable(name, value, says, rules_from):
    with pytest.raises(ConfigurationError) as caught:
        rules_from({name: value})
    assert str(caught.value).startswith(name) and says in str(caught.value)


def test_a_longer_window_makes_an_older_input_current(rules_from):
    resources = default_patient(
        drop=("kps",), extra=(measurement("kps", "89243-0", 60, when=STALE),)
    )
    data = patient_records(resources, "p")
    assert data is not None
    term, now = default_terminology(), parse_time(NOW)
    assert now is not None
    default = extract_patient(data, term, now=now)
    assert default.basis["tokuhashi-general-condition"].dated
    longer = rules_from({"SPINEMETS_WINDOW_PERFORMANCE_DAYS": "90"})
    local = extract_patient(data, term, now=now, rules=longer)
    assert not local.basis["tokuhashi-general-condition"].dated
