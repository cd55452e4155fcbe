"""Distributions of durations (handle times, patience, delays), in **seconds**.

Each distribution is a frozen pydantic model picked by its ``distribution`` key.
Every duration field accepts a number of seconds or a string with a unit
(``30``, ``"30s"``, ``"4.5min"``, ``"2h"``; see :mod:`queuesim.model.units`)::

    {distribution: exponential, mean: 4min}
    {distribution: deterministic, value: 45s}
    {distribution: lognormal, mean: 4min, sd: 3min}
    {distribution: lognormal, mu: 5.3, sigma: 0.65}    # of ln(seconds)
    {distribution: gamma, shape: 2.5, mean: 4min}      # or: scale: 96s
    {distribution: weibull, shape: 0.8, scale: 3min}   # or: mean: 3min
    {distribution: uniform, low: 30s, high: 2min}
    {distribution: empirical, values: [30s, 45, 2min, 3.5min]}
    {distribution: empirical, file: data/aht.csv, column: handle_s}

A relative ``file`` is resolved against ``base_dir`` from the validation
context (see :func:`parse_distribution`), else the current directory; its
column holds seconds (bare numbers, or strings with a unit).

Every model offers ``sample(rng, size)`` (a float64 array of seconds),
``expectation()``, ``variance()``, ``sf(t)`` = P(X > t) and ``describe()``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationInfo, model_validator

from ..lazy import LazyModule
from .base import ConfigModel
from .fields import MAX_DATA_FILE_BYTES, NonNegativeSeconds, PositiveSeconds, check_input_file, input_path
from .units import UnitError, parse_duration

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:  # validating a config needs numpy only for what check_samples cannot tell without draws
    np = LazyModule("numpy", globals(), "np")

__all__ = [
    "BaseDistribution", "DISTRIBUTION_NAMES", "Deterministic", "Distribution", "Empirical",
    "Exponential", "Gamma", "Lognormal", "Uniform", "Weibull",
    "lognormal_mean_sd", "lognormal_mu_sigma", "parse_distribution",
]


def _g(x: float) -> str:
    return f"{x:.6g}"


def _exp(x: float) -> float:
    return math.inf if x > 709.0 else math.exp(x)


def lognormal_mu_sigma(mean: float, sd: float) -> tuple[float, float]:
    """(mean, sd) in seconds -> (mu, sigma) of ln(seconds), exactly."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def lognormal_mean_sd(mu: float, sigma: float) -> tuple[float, float]:
    """(mu, sigma) of ln(seconds) -> (mean, sd) in seconds, exactly."""
    mean = _exp(mu + sigma * sigma / 2.0)
    return mean, (mean * math.sqrt(math.expm1(sigma * sigma)) if sigma * sigma < 709 else math.inf)


def _one_of(name: str, a: tuple[str, ...], b: tuple[str, ...], given: dict[str, Any]) -> None:
    """Check that exactly one of the field groups ``a`` / ``b`` is set, and completely."""
    got = [k for k, v in given.items() if v is not None]
    has_a, has_b = any(k in got for k in a), any(k in got for k in b)
    want = f"either {' and '.join(a)} or {' and '.join(b)}"
    if has_a == has_b:
        raise ValueError(f"{name}: give {want}" + (f", not both (got {', '.join(got)})" if has_a else ""))
    missing = [k for k in (a if has_a else b) if given[k] is None]
    if missing:
        raise ValueError(f"{name}: {' and '.join(a if has_a else b)} go together; missing {', '.join(missing)}")


class BaseDistribution(ConfigModel):
    """Common interface; every value is in seconds. ``sf`` defaults to the scipy twin ``_rv()``."""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values (float64 seconds) with one vectorised call on ``rng``."""
        raise NotImplementedError

    def expectation(self) -> float:
        """Mean in seconds."""
        raise NotImplementedError

    def variance(self) -> float:
        """Variance in seconds squared."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human-readable text, e.g. ``lognormal(mean=240s, sd=180s)``."""
        raise NotImplementedError

    def _rv(self) -> Any:
        raise NotImplementedError

    def sf(self, t: npt.ArrayLike) -> np.ndarray:
        """Survival function P(X > t), elementwise."""
        return np.asarray(self._rv().sf(t), dtype=np.float64)

    def __str__(self) -> str:
        return self.describe()


class Exponential(BaseDistribution):
    """Exponential with the given mean."""

    distribution: Literal["exponential"] = "exponential"
    mean: PositiveSeconds

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(rng.exponential(self.mean, size), dtype=np.float64)

    def expectation(self) -> float:
        return self.mean

    def variance(self) -> float:
        return self.mean**2

    def _rv(self) -> Any:
        from scipy import stats

        return stats.expon(scale=self.mean)

    def describe(self) -> str:
        return f"exponential(mean={_g(self.mean)}s)"


class Deterministic(BaseDistribution):
    """Always ``value`` (does not consume the generator)."""

    distribution: Literal["deterministic"] = "deterministic"
    value: NonNegativeSeconds

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=np.float64)

    def expectation(self) -> float:
        return self.value

    def variance(self) -> float:
        return 0.0

    def sf(self, t: npt.ArrayLike) -> np.ndarray:
        return (np.asarray(t, dtype=np.float64) < self.value).astype(np.float64)

    def describe(self) -> str:
        return f"deterministic({_g(self.value)}s)"


class Lognormal(BaseDistribution):
    """Lognormal from (``mean``, ``sd``) in seconds or (``mu``, ``sigma``) of ln(seconds)."""

    distribution: Literal["lognormal"] = "lognormal"
    mean: Optional[PositiveSeconds] = None
    sd: Optional[PositiveSeconds] = None
    mu: Optional[float] = Field(default=None, allow_inf_nan=False)
    sigma: Optional[float] = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _exactly_one(self) -> Lognormal:
        _one_of("lognormal", ("mean", "sd"), ("mu", "sigma"),
                {"mean": self.mean, "sd": self.sd, "mu": self.mu, "sigma": self.sigma})
        return self

    def as_mu_sigma(self) -> tuple[float, float]:
        """(mu, sigma) of ln(seconds)."""
        if self.mu is not None and self.sigma is not None:
            return self.mu, self.sigma
        return lognormal_mu_sigma(self.mean, self.sd)  # type: ignore[arg-type]

    def as_mean_sd(self) -> tuple[float, float]:
        """(mean, sd) in seconds."""
        if self.mean is not None and self.sd is not None:
            return self.mean, self.sd
        return lognormal_mean_sd(self.mu, self.sigma)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(rng.lognormal(*self.as_mu_sigma(), size), dtype=np.float64)

    def expectation(self) -> float:
        return self.as_mean_sd()[0]

    def variance(self) -> float:
        return self.as_mean_sd()[1] ** 2

    def _rv(self) -> Any:
        mu, sigma = self.as_mu_sigma()
        from scipy import stats

        return stats.lognorm(s=sigma, scale=math.exp(mu))

    def describe(self) -> str:
        if self.mean is not None and self.sd is not None:
            return f"lognormal(mean={_g(self.mean)}s, sd={_g(self.sd)}s)"
        return f"lognormal(mu={_g(self.mu)}, sigma={_g(self.sigma)})"  # type: ignore[arg-type]


class _ShapeScale(BaseDistribution):
    """``shape`` plus exactly one of ``mean`` or ``scale`` (seconds); mean = scale * _mean_per_scale()."""

    distribution: str
    shape: float = Field(gt=0, allow_inf_nan=False)
    mean: Optional[PositiveSeconds] = None
    scale: Optional[PositiveSeconds] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> _ShapeScale:
        _one_of(self.distribution, ("mean",), ("scale",), {"mean": self.mean, "scale": self.scale})
        return self

    def _mean_per_scale(self) -> float:
        raise NotImplementedError

    @property
    def effective_scale(self) -> float:
        """Scale in seconds (derived from ``mean`` when that was given)."""
        return self.scale if self.scale is not None else self.mean / self._mean_per_scale()  # type: ignore[operator]

    def expectation(self) -> float:
        return self.mean if self.mean is not None else self.effective_scale * self._mean_per_scale()

    def describe(self) -> str:
        what = f"mean={_g(self.mean)}s" if self.mean is not None else f"scale={_g(self.effective_scale)}s"
        return f"{self.distribution}(shape={_g(self.shape)}, {what})"


class Gamma(_ShapeScale):
    """Gamma with ``shape`` and either ``mean`` or ``scale`` (seconds)."""

    distribution: Literal["gamma"] = "gamma"

    def _mean_per_scale(self) -> float:
        return self.shape

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(rng.gamma(self.shape, self.effective_scale, size), dtype=np.float64)

    def variance(self) -> float:
        return self.shape * self.effective_scale**2

    def _rv(self) -> Any:
        from scipy import stats

        return stats.gamma(a=self.shape, scale=self.effective_scale)


class Weibull(_ShapeScale):
    """Weibull with ``shape`` and either ``scale`` or ``mean`` (seconds)."""

    distribution: Literal["weibull"] = "weibull"

    def _mean_per_scale(self) -> float:
        # scipy's Γ, not math.gamma: the two differ in the last bits for most shapes, and the scale derived
        # from a mean is what the simulation samples with. Imported on first use (scipy.special takes 0.15 s);
        # validating a config needs it only for extreme parameters (see _surely_usable).
        from scipy import special

        return float(special.gamma(1.0 + 1.0 / self.shape))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(rng.weibull(self.shape, size) * self.effective_scale, dtype=np.float64)

    def variance(self) -> float:
        from scipy import special

        g1, g2 = self._mean_per_scale(), float(special.gamma(1.0 + 2.0 / self.shape))
        return self.effective_scale**2 * (g2 - g1 * g1)

    def _rv(self) -> Any:
        from scipy import stats

        return stats.weibull_min(c=self.shape, scale=self.effective_scale)


class Uniform(BaseDistribution):
    """Uniform on [``low``, ``high``) seconds."""

    distribution: Literal["uniform"] = "uniform"
    low: NonNegativeSeconds
    high: PositiveSeconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"uniform: low ({_g(self.low)}s) must be less than high ({_g(self.high)}s)")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(rng.uniform(self.low, self.high, size), dtype=np.float64)

    def expectation(self) -> float:
        return (self.low + self.high) / 2.0

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    def _rv(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def describe(self) -> str:
        return f"uniform(low={_g(self.low)}s, high={_g(self.high)}s)"


class _Data:
    """Sorted, read-only float64 data compared by value (so model equality works)."""

    __slots__ = ("array",)

    def __init__(self, values: Any) -> None:
        self.array = np.sort(np.asarray(values, dtype=np.float64))
        self.array.flags.writeable = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Data) and np.array_equal(self.array, other.array)

    def __hash__(self) -> int:
        return hash(self.array.tobytes())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Data, (self.array,))


def _read_column(path: Path, column: str) -> list[float]:
    """Read one column of seconds from a CSV with a header row (csv module, no eval)."""
    if not path.exists():
        raise ValueError(f"empirical: file {str(path)!r} not found (looked for {str(path.resolve())!r})")
    check_input_file(path, limit=MAX_DATA_FILE_BYTES, what="CSV file of values")
    try:
        return _read_cells(path, column)
    except UnicodeDecodeError as exc:
        raise ValueError(f"empirical: {str(path)!r} is not a UTF-8 text file (byte {exc.start}: {exc.reason})") from None
    except csv.Error as exc:
        raise ValueError(f"empirical: {str(path)!r} is not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise ValueError(f"empirical: cannot read {str(path)!r}: {exc.strerror or exc}") from None


def _read_cells(path: Path, column: str) -> list[float]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if column not in header:
            raise ValueError(f"empirical: column {column!r} not in {str(path)!r}; available columns: {header}")
        idx, out = header.index(column), []
        for line, row in enumerate(reader, start=2):
            if not row:  # blank line
                continue
            cell = row[idx].strip() if idx < len(row) else ""
            where = f"in {str(path)!r} column {column!r}, line {line}"
            try:
                value = parse_duration(cell)
            except UnitError:
                raise ValueError(f"empirical: non-numeric value {cell!r} {where}") from None
            if value < 0:
                raise ValueError(f"empirical: negative value {cell!r} {where}")
            out.append(value)
    if not out:
        raise ValueError(f"empirical: no values in {str(path)!r} column {column!r}")
    return out


class Empirical(BaseDistribution):
    """Resample uniformly with replacement from ``values`` or a CSV ``file`` + ``column``."""

    distribution: Literal["empirical"] = "empirical"
    values: Optional[tuple[NonNegativeSeconds, ...]] = Field(default=None, min_length=1)
    file: Optional[str] = None
    column: Optional[str] = None
    _data: _Data = PrivateAttr()

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Empirical:
        _one_of("empirical", ("values",), ("file", "column"),
                {"values": self.values, "file": self.file, "column": self.column})
        if self.values is not None:
            self._data = _Data(self.values)
        else:
            base = (info.context or {}).get("base_dir") if info is not None else None
            path = input_path(self.file, base, "empirical: file")  # type: ignore[arg-type]
            self._data = _Data(_read_column(path, self.column))  # type: ignore[arg-type]
        return self

    @property
    def data(self) -> np.ndarray:
        """The loaded values in seconds (sorted, read-only)."""
        return self._data.array

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self._data.array[rng.integers(0, self._data.array.size, size)]

    def expectation(self) -> float:
        return float(self._data.array.mean())

    def variance(self) -> float:
        return float(self._data.array.var())

    def sf(self, t: npt.ArrayLike) -> np.ndarray:
        data = self._data.array
        above = data.size - np.searchsorted(data, np.asarray(t, dtype=np.float64), side="right")
        return np.asarray(above / data.size, dtype=np.float64)

    def describe(self) -> str:
        where = f"{self.file}[{self.column}], " if self.file is not None else ""
        return f"empirical({where}n={self._data.array.size}, mean={_g(self.expectation())}s)"


#: Draws taken at validation to check that a distribution's samples are finite (a fixed seed: no randomness).
CHECK_SAMPLES = 256


#: Values between these bounds are far from float64's overflow (1.8e308) and underflow (5e-324): changing
#: them by a few parts in 1e16 cannot make them infinite or 0.
_SAFE_LOW, _SAFE_HIGH = 1e-290, 1e307
#: Bounds of the check's draws, from numpy's ziggurat methods: a standard exponential draw is at most
#: r + 53 ln 2 = 44.44 (r = 7.697), a standard normal one at most r + 53 ln 2 / r = 13.71 in size
#: (r = 3.654); and of the CHECK_SAMPLES draws from the check's seed, some standard exponential draw and
#: some uniform one are at least 0.5 (tests/test_distributions.py checks this of the installed numpy).
_MAX_EXPONENTIAL_DRAW, _MAX_NORMAL_DRAW, _SOME_DRAW_AT_LEAST = 44.5, 13.8, 0.5


def _surely_usable(dist: BaseDistribution) -> bool:
    """True if :func:`check_samples` accepts ``dist``, told from its parameters without drawing.

    Every value the check tests (the mean, the scale, all :data:`CHECK_SAMPLES`
    draws) then lies between :data:`_SAFE_LOW` and :data:`_SAFE_HIGH`, or is 0 where
    the check allows it, by the bounds above. Validating a config with such
    distributions imports neither numpy nor scipy; any other one (gamma, empirical,
    parameters near the limits of float64) is checked by drawing. A Weibull's
    Γ(1 + 1/shape) comes from ``math.gamma`` here, from ``scipy.special.gamma`` in
    the model (the two agree to about 1e-15 relative, not bit for bit): the margins
    make that difference irrelevant to the answer, and nothing computed here is kept.
    """
    if isinstance(dist, Deterministic):  # every draw is the value, a finite duration >= 0
        return True
    if isinstance(dist, Exponential):  # draws mean * E, E in [0, 44.5], some E >= 0.5
        return _SAFE_LOW <= dist.mean <= _SAFE_HIGH / _MAX_EXPONENTIAL_DRAW
    if isinstance(dist, Uniform):  # draws low + (high - low) * U in [low, high], U in [0, 1), some U >= 0.5
        return dist.high <= _SAFE_HIGH and (dist.low > 0 or dist.high >= 2 * _SAFE_LOW)
    if isinstance(dist, Lognormal):  # draws exp(mu + sigma * Z), |Z| <= 13.8; mean exp(mu + sigma^2 / 2)
        mu, sigma = dist.as_mu_sigma()
        return abs(mu) + sigma * _MAX_NORMAL_DRAW <= 700.0 and (dist.mean is not None or mu + sigma * sigma / 2 <= 700.0)
    if isinstance(dist, Weibull):  # draws E^(1/shape) * scale, E in [0, 44.5], some E >= 0.5
        x = 1.0 + 1.0 / dist.shape
        if not x < 150.0:  # Γ(150) = 3.8e260; Γ overflows float64 from x = 171.6
            return False
        g = math.gamma(x)
        scale = dist.scale if dist.scale is not None else dist.mean / g  # type: ignore[operator]
        mean = dist.mean if dist.mean is not None else dist.scale * g  # type: ignore[operator]
        if not (_SAFE_LOW < scale < _SAFE_HIGH and _SAFE_LOW < mean < _SAFE_HIGH):
            return False
        return (math.log(scale) + math.log(_MAX_EXPONENTIAL_DRAW) / dist.shape < math.log(_SAFE_HIGH)
                and math.log(scale) + math.log(_SOME_DRAW_AT_LEAST) / dist.shape > math.log(_SAFE_LOW))
    return False


def check_samples(dist: BaseDistribution) -> BaseDistribution:
    """ValueError (one line) when ``dist``'s parameters give non-finite or degenerate samples.

    The mean (seconds) must be finite, and :data:`CHECK_SAMPLES` draws from a
    fixed seed must all be finite and >= 0. Extreme parameters that pass the
    field limits (a weibull shape of 1e-300, a lognormal sd of 1e300) would
    otherwise give NaN or infinite durations in the run.
    """
    import warnings

    try:
        if _surely_usable(dist):
            return dist  # the same answer as below, without numpy's draws
    except (ArithmeticError, ValueError):  # e.g. an overflow in lognormal's sd / mean: answered below
        pass
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        what = f"{dist.describe()}: these parameters give"
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = float(dist.expectation())
            draws = dist.sample(np.random.default_rng(0), CHECK_SAMPLES)
    except (ArithmeticError, ValueError) as exc:
        raise ValueError(f"{what} no usable samples ({type(exc).__name__}); use less extreme values") from None
    if not math.isfinite(mean) or mean < 0:
        raise ValueError(f"{what} a mean of {mean:g} s; the mean must be finite: use less extreme values")
    if not np.all(np.isfinite(draws)) or np.any(draws < 0):
        raise ValueError(f"{what} non-finite samples (NaN or infinite durations); use less extreme values")
    if mean > 0 and not np.any(draws > 0):
        raise ValueError(f"{what} samples that are all 0 s although the mean is {mean:g} s (degenerate); "
                         "use less extreme values")
    if isinstance(dist, (Weibull, Gamma)) and not 0 < dist.effective_scale < math.inf:
        raise ValueError(f"{what} a scale of {dist.effective_scale:g} s (degenerate); use a shape closer to 1")
    return dist


Distribution = Annotated[
    Union[Exponential, Deterministic, Lognormal, Gamma, Weibull, Uniform, Empirical],
    Field(discriminator="distribution"),
    AfterValidator(check_samples),
]
"""Any duration distribution, chosen by its ``distribution`` key; parameters whose mean or samples are
not finite are refused (see :func:`check_samples`)."""

DISTRIBUTION_NAMES: tuple[str, ...] = (
    "exponential", "deterministic", "lognormal", "gamma", "weibull", "uniform", "empirical",
)

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution, config=ConfigDict(title="Distribution"))


def parse_distribution(data: Union[dict[str, Any], BaseDistribution], *,
                       base_dir: Union[str, Path, None] = None) -> BaseDistribution:
    """Validate a mapping into a distribution model (models pass through unchanged).

    ``base_dir`` resolves a relative empirical ``file``; raises
    :class:`pydantic.ValidationError` (a ``ValueError``) on bad input.
    """
    if isinstance(data, BaseDistribution):
        return data
    context = {"base_dir": base_dir} if base_dir is not None else None
    return _ADAPTER.validate_python(data, context=context)
