"""Tests for queuesim.model.distributions: moments, survival functions, validation, CSV loading.

Statistical checks use a fixed seed (so they are deterministic) and a 5-sigma
z bound: |estimate - truth| < 5 * standard_error. For a sample mean the
standard error is sd / sqrt(n); for a sample variance it is estimated as
sd((x - xbar)^2) / sqrt(n); for a survival fraction it is the binomial
sqrt(p (1 - p) / n).
"""

from __future__ import annotations

import math
import pickle
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from queuesim.model.distributions import (
    DISTRIBUTION_NAMES,
    BaseDistribution,
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
    lognormal_mean_sd,
    lognormal_mu_sigma,
    parse_distribution,
)

N = 200_000
Z = 5.0  # z bound of every statistical check

CASES: dict[str, dict[str, Any]] = {
    "exponential": {"distribution": "exponential", "mean": "4min"},
    "deterministic": {"distribution": "deterministic", "value": "45s"},
    "lognormal-mean-sd": {"distribution": "lognormal", "mean": "4min", "sd": "3min"},
    "lognormal-mu-sigma": {"distribution": "lognormal", "mu": 5.2, "sigma": 0.6},
    "gamma-mean": {"distribution": "gamma", "shape": 2.5, "mean": "4min"},
    "gamma-scale": {"distribution": "gamma", "shape": 0.7, "scale": 90},
    "weibull-scale": {"distribution": "weibull", "shape": 0.8, "scale": "3min"},
    "weibull-mean": {"distribution": "weibull", "shape": 2.0, "mean": "5min"},
    "uniform": {"distribution": "uniform", "low": "30s", "high": "2min"},
    "empirical": {"distribution": "empirical", "values": ["30s", 45, "2min", 200, "3.5min", 0]},
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def dist(request: pytest.FixtureRequest) -> BaseDistribution:
    """One validated distribution per CASES entry."""
    return parse_distribution(CASES[request.param])


def test_cases_cover_every_distribution() -> None:
    """The parametrised cases and DISTRIBUTION_NAMES cover every class in the union."""
    union = typing.get_args(typing.get_args(Distribution)[0])
    names = tuple(cls.model_fields["distribution"].default for cls in union)
    assert names == DISTRIBUTION_NAMES
    assert {c["distribution"] for c in CASES.values()} == set(DISTRIBUTION_NAMES)


def test_sample_mean_and_variance_match(dist: BaseDistribution) -> None:
    """Sample mean and variance of 200k draws agree with expectation()/variance() within 5 sigma."""
    x = dist.sample(np.random.default_rng(20240611), N)
    mean, var = dist.expectation(), dist.variance()
    assert abs(x.mean() - mean) <= Z * math.sqrt(var / N) + 1e-9 * mean
    se_var = np.std((x - x.mean()) ** 2) / math.sqrt(N)
    assert abs(x.var() - var) <= Z * se_var + 1e-9 * max(var, 1.0)


def test_sf_matches_empirical_survival(dist: BaseDistribution) -> None:
    """sf(t) matches the fraction of draws above t within a 5-sigma binomial bound."""
    x = dist.sample(np.random.default_rng(7), N)
    mean = dist.expectation()
    ts = np.array([0.0, 0.25 * mean, 0.5 * mean, mean, 2.0 * mean, 45.0])
    sf = dist.sf(ts)
    assert sf.shape == ts.shape and sf.dtype == np.float64
    for t, p in zip(ts, sf):
        observed = float((x > t).mean())
        assert abs(observed - p) <= Z * math.sqrt(p * (1 - p) / N) + 1e-12, (t, p, observed)
    assert float(dist.sf(-1.0)) == 1.0


def test_same_seed_same_samples(dist: BaseDistribution) -> None:
    """The same seed gives identical samples; sample returns a float64 array of the size asked, all >= 0."""
    a = dist.sample(np.random.default_rng(123), 4096)
    b = dist.sample(np.random.default_rng(123), 4096)
    assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (4096,)
    np.testing.assert_array_equal(a, b)
    assert (a >= 0).all() and np.isfinite(a).all()
    assert dist.sample(np.random.default_rng(1), 0).shape == (0,)


def test_models_are_frozen_and_round_trip(dist: BaseDistribution) -> None:
    """Models are frozen, hashable, pickle, and re-validate from model_dump() to an equal model."""
    with pytest.raises(ValidationError):
        dist.distribution = "other"  # type: ignore[misc]
    hash(dist)
    assert parse_distribution(dist.model_dump()) == dist
    assert pickle.loads(pickle.dumps(dist)) == dist
    assert parse_distribution(dist) is dist
    assert isinstance(dist.describe(), str) and dist.describe().startswith(dist.distribution)


def test_units_parse_to_seconds() -> None:
    """Duration fields accept unit strings: '4min' is 240 s, '3min' is 180 s."""
    d = parse_distribution({"distribution": "lognormal", "mean": "4min", "sd": "3min"})
    assert isinstance(d, Lognormal) and d.mean == 240.0 and d.sd == 180.0
    assert Exponential(mean="4min").mean == 240.0  # type: ignore[arg-type]
    assert d.describe() == "lognormal(mean=240s, sd=180s)"


def test_lognormal_conversions_round_trip() -> None:
    """mean/sd -> mu/sigma -> mean/sd is exact, and both parametrisations describe the same law."""
    by_moments = Lognormal(mean="4min", sd="3min")  # type: ignore[arg-type]
    mu, sigma = by_moments.as_mu_sigma()
    assert sigma**2 == pytest.approx(math.log(1 + 180.0**2 / 240.0**2), rel=1e-14)
    assert mu == pytest.approx(math.log(240.0) - sigma**2 / 2, rel=1e-14)
    by_logs = Lognormal(mu=mu, sigma=sigma)
    assert by_logs.as_mean_sd() == pytest.approx((240.0, 180.0), rel=1e-12)
    assert by_logs.expectation() == pytest.approx(240.0, rel=1e-12)
    assert by_logs.variance() == pytest.approx(180.0**2, rel=1e-12)
    ts = np.array([10.0, 100.0, 240.0, 1000.0])
    np.testing.assert_allclose(by_logs.sf(ts), by_moments.sf(ts), rtol=1e-12)
    np.testing.assert_allclose(by_logs.sample(np.random.default_rng(5), 100),
                               by_moments.sample(np.random.default_rng(5), 100), rtol=1e-12)


@given(mean=st.floats(1e-3, 1e6), cv=st.floats(1e-3, 10.0))
def test_lognormal_conversion_property(mean: float, cv: float) -> None:
    """For any mean and coefficient of variation, lognormal_mean_sd inverts lognormal_mu_sigma."""
    sd = mean * cv
    back = lognormal_mean_sd(*lognormal_mu_sigma(mean, sd))
    assert back == pytest.approx((mean, sd), rel=1e-9)


def test_gamma_and_weibull_mean_or_scale() -> None:
    """Gamma and Weibull give the same law whether set by mean or by the matching scale."""
    g = Gamma(shape=2.5, mean=240)  # type: ignore[arg-type]
    assert g.effective_scale == pytest.approx(96.0)
    assert Gamma(shape=2.5, scale=96).expectation() == pytest.approx(240.0)  # type: ignore[arg-type]
    w = Weibull(shape=1.0, mean="2min")  # type: ignore[arg-type]
    assert w.effective_scale == pytest.approx(120.0)  # shape 1 is exponential
    np.testing.assert_allclose(w.sf([60.0, 300.0]), Exponential(mean=120).sf([60.0, 300.0]))  # type: ignore[arg-type]
    assert Uniform(low=0, high="1min").expectation() == 30.0  # type: ignore[arg-type]
    assert Deterministic(value="1min").sf([59.0, 60.0, 61.0]).tolist() == [1.0, 0.0, 0.0]  # type: ignore[arg-type]


BAD: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"distribution": "exponential", "mean": 0}, ("mean", "greater than 0")),
    ({"distribution": "exponential", "mean": -1}, ("mean", "greater than 0")),
    ({"distribution": "exponential", "mean": "abc"}, ("mean", "'abc'")),
    ({"distribution": "exponential", "mean": "4 fortnights"}, ("mean", "fortnights")),
    ({"distribution": "lognormal", "mean": 240, "sd": 180, "mu": 5, "sigma": 0.6},
     ("mean and sd", "mu and sigma", "not both")),
    ({"distribution": "lognormal"}, ("mean and sd", "mu and sigma")),
    ({"distribution": "lognormal", "mean": 240}, ("missing sd",)),
    ({"distribution": "lognormal", "mu": 5, "sigma": 0}, ("sigma", "greater than 0")),
    ({"distribution": "gamma", "shape": 2}, ("mean or scale",)),
    ({"distribution": "weibull", "shape": 2, "mean": 1, "scale": 1}, ("mean or scale", "not both")),
    ({"distribution": "weibull", "shape": -1, "scale": 1}, ("shape",)),
    ({"distribution": "uniform", "low": "2min", "high": "1min"}, ("low (120s)", "high (60s)")),
    ({"distribution": "uniform", "low": 60, "high": 60}, ("low", "high")),
    ({"distribution": "triangular", "mean": 1}, ("triangular", "exponential")),
    ({"mean": 1}, ("distribution",)),
    ({"distribution": "exponential", "mean": 1, "meen": 2}, ("meen", "Extra inputs")),
    ({"distribution": "empirical", "values": []}, ("values",)),
    ({"distribution": "empirical", "values": [1, -2]}, ("values", "greater than or equal to 0")),
    ({"distribution": "empirical", "file": "no_such_file.csv", "column": "aht"}, ("no_such_file.csv", "not found")),
    ({"distribution": "empirical", "file": "x.csv"}, ("missing column",)),
]


@pytest.mark.parametrize(("data", "needles"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_validation_errors_name_the_problem(data: dict[str, Any], needles: tuple[str, ...]) -> None:
    """Invalid configs raise ValidationError whose message names the offending field or value."""
    with pytest.raises(ValidationError) as info:
        parse_distribution(data)
    message = str(info.value)
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    """A tmp directory holding data/aht.csv with two columns."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "aht.csv").write_text("call_id, handle_s\n1,30\n2,45.5\n\n3,2min\n4,0\n")
    return tmp_path


def test_empirical_csv_relative_to_base_dir(csv_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative CSV path resolves against base_dir (else the cwd); samples come from the column."""
    spec = {"distribution": "empirical", "file": "data/aht.csv", "column": "handle_s"}
    d = parse_distribution(spec, base_dir=csv_dir)
    assert isinstance(d, Empirical) and d.values is None
    assert d.data.tolist() == [0.0, 30.0, 45.5, 120.0]
    assert d.expectation() == pytest.approx(195.5 / 4)
    x = d.sample(np.random.default_rng(3), 1000)
    assert set(x.tolist()) <= {0.0, 30.0, 45.5, 120.0}
    assert "data/aht.csv[handle_s]" in d.describe()
    monkeypatch.chdir(csv_dir)
    assert parse_distribution(spec) == d
    absolute = dict(spec, file=str(csv_dir / "data" / "aht.csv"))
    assert parse_distribution(absolute).data.tolist() == d.data.tolist()  # built in code: any path
    with pytest.raises(ValidationError, match="absolute paths are not allowed"):  # from a config: see test_input_safety
        parse_distribution(absolute, base_dir=csv_dir)


@pytest.mark.parametrize(
    ("content", "column", "needles"),
    [
        ("a,b\n1,2\n", "handle_s", ("'handle_s'", "available columns", "'a'", "'b'")),
        ("handle_s\n30\nabc\n", "handle_s", ("non-numeric", "'abc'", "line 3", "aht.csv")),
        ("handle_s\n30\n-5\n", "handle_s", ("negative", "'-5'", "line 3")),
        ("handle_s\n", "handle_s", ("no values",)),
    ],
    ids=["missing-column", "non-numeric", "negative", "empty"],
)
def test_empirical_csv_errors(tmp_path: Path, content: str, column: str, needles: tuple[str, ...]) -> None:
    """Bad CSV contents give errors naming the file, column, line and value."""
    (tmp_path / "aht.csv").write_text(content)
    with pytest.raises(ValidationError) as info:
        parse_distribution({"distribution": "empirical", "file": "aht.csv", "column": column}, base_dir=tmp_path)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


_pos = st.floats(1e-3, 1e5)
_valid = st.one_of(
    st.builds(lambda m: {"distribution": "exponential", "mean": m}, _pos),
    st.builds(lambda v: {"distribution": "deterministic", "value": v}, st.floats(0, 1e5)),
    st.builds(lambda m, c: {"distribution": "lognormal", "mean": m, "sd": m * c}, _pos, st.floats(0.01, 5)),
    st.builds(lambda mu, s: {"distribution": "lognormal", "mu": mu, "sigma": s},
              st.floats(-5, 12), st.floats(0.01, 3)),
    st.builds(lambda k, m, by_mean: {"distribution": "gamma", "shape": k, ("mean" if by_mean else "scale"): m},
              st.floats(0.05, 50), _pos, st.booleans()),
    st.builds(lambda k, m, by_mean: {"distribution": "weibull", "shape": k, ("mean" if by_mean else "scale"): m},
              st.floats(0.3, 10), _pos, st.booleans()),
    st.builds(lambda lo, w: {"distribution": "uniform", "low": lo, "high": lo + w}, st.floats(0, 1e5), _pos),
    st.builds(lambda vs: {"distribution": "empirical", "values": vs}, st.lists(st.floats(0, 1e5), min_size=1)),
)


def _extreme_cases() -> list[BaseDistribution]:
    """Parameters out to float64's limits, most of them usable, some not, for every kind check_samples can tell
    without drawing."""
    sizes = [float(x) for x in np.geomspace(1e-300, 1e300, 41)] + [5e-324, 1.7e308]
    shapes = [float(x) for x in np.geomspace(1e-3, 1e3, 31)]
    cases: list[BaseDistribution] = [Deterministic(value=v) for v in [0.0, *sizes]]  # type: ignore[arg-type]
    cases += [Exponential(mean=m) for m in sizes]  # type: ignore[arg-type]
    cases += [Uniform(low=lo, high=hi) for lo in [0.0, *sizes[::4]] for hi in sizes if hi > lo]  # type: ignore[arg-type]
    cases += [Lognormal(mean=m, sd=m * c) for m in sizes[::2] for c in (1e-3, 1.0, 1e3, 1e100)  # type: ignore[arg-type]
              if m * c < math.inf]
    cases += [Lognormal(mu=mu, sigma=s) for mu in (-800.0, -100.0, 0.0, 5.0, 100.0, 690.0) for s in (1e-3, 1.0, 10.0, 40.0)]  # type: ignore[arg-type]
    cases += [Weibull(shape=k, **{by: m}) for by in ("mean", "scale") for k in shapes for m in sizes[::2]]  # type: ignore[arg-type]
    return cases


def test_check_without_draws_never_passes_what_the_draws_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation accepts most distributions from their parameters alone (no numpy draws, and a Weibull's Γ
    from math.gamma, not scipy's): every one it accepts that way out to float64's limits passes the full
    check, which draws with numpy and uses scipy's Γ."""
    from queuesim.model import distributions

    quick = distributions._surely_usable
    monkeypatch.setattr(distributions, "_surely_usable", lambda d: False)  # check_samples: always by drawing
    cases = _extreme_cases()
    taken, refused = 0, 0
    for d in cases:
        try:
            ok = quick(d)
        except (ArithmeticError, ValueError):
            ok = False
        if ok:
            taken += 1
            assert distributions.check_samples(d) is d, d
        else:
            try:
                distributions.check_samples(d)
            except ValueError:
                refused += 1
    assert taken > len(cases) // 2 and refused > 50, (taken, refused, len(cases))  # both kinds are covered


def test_lazy_module_imports_on_first_use_and_steps_aside() -> None:
    """The stand-in for numpy in distributions.py and profile.py imports its module on the first attribute read
    and puts the module itself in its place."""
    import json

    from queuesim.lazy import LazyModule

    namespace: dict[str, Any] = {}
    namespace["js"] = LazyModule("json", namespace, "js")
    assert "imported on first use" in repr(namespace["js"])
    assert namespace["js"].dumps([1]) == "[1]" and namespace["js"] is json


def test_the_check_draws_reach_what_the_quick_check_assumes() -> None:
    """The facts about numpy's draws that the check without draws relies on, for the installed numpy: of
    CHECK_SAMPLES draws from the check's seed, some standard exponential and some uniform draw are at least
    0.5; standard exponential draws are at most 44.5 and standard normal ones at most 13.8 in size."""
    from queuesim.model import distributions as d

    exponential = np.random.default_rng(0).standard_exponential(d.CHECK_SAMPLES)
    uniform = np.random.default_rng(0).random(d.CHECK_SAMPLES)
    assert exponential.max() >= d._SOME_DRAW_AT_LEAST and uniform.max() >= d._SOME_DRAW_AT_LEAST
    many = np.random.default_rng(1)
    assert many.standard_exponential(10**6).max() <= d._MAX_EXPONENTIAL_DRAW
    assert np.abs(many.standard_normal(10**6)).max() <= d._MAX_NORMAL_DRAW
    # the check's draws are these standard ones, scaled: exponential, weibull and uniform from one stream each
    assert np.array_equal(np.random.default_rng(0).exponential(3.0, d.CHECK_SAMPLES), 3.0 * exponential)
    assert np.array_equal(np.random.default_rng(0).weibull(0.5, d.CHECK_SAMPLES), exponential ** 2.0)
    assert np.array_equal(np.random.default_rng(0).uniform(0.0, 2.0, d.CHECK_SAMPLES), 2.0 * uniform)


@settings(max_examples=150, deadline=None)
@given(spec=_valid, seed=st.integers(0, 2**32 - 1))
def test_samples_finite_nonnegative_float64(spec: dict[str, Any], seed: int) -> None:
    """For random valid parameters, samples are finite, >= 0, float64, with a finite positive-or-zero mean."""
    d = parse_distribution(spec)
    x = d.sample(np.random.default_rng(seed), 512)
    assert x.dtype == np.float64 and x.shape == (512,)
    assert np.isfinite(x).all() and (x >= 0).all()
    assert math.isfinite(d.expectation()) and d.expectation() >= 0
    assert d.variance() >= 0
