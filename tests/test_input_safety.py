"""Safety of inputs: no code execution from configs, and data files confined to the config's folder.

Rule (README, config reference, ``file``): a data file named in a config
(``arrivals.file``, an empirical distribution's ``file``) is a path relative
to the config's folder that stays inside it once resolved (symbolic links
followed). Absolute paths, ``~`` and ``..`` out of the folder are refused with
one line naming the field and the path, unless ``QUEUESIM_ALLOW_ANY_PATH=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from queuesim.model.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "queuesim"

from .conftest import run_cli

BASE = {
    "horizon": "1h",
    "arrivals": {"rate": "2/min"},
    "handle_time": {"distribution": "exponential", "mean": "1min"},
    "agents": 3,
}


_cli = run_cli


def _write(folder: Path, config: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/project/config folder with data/aht.csv and profile.csv inside, secret.csv outside it."""
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "aht.csv").write_text("seconds\n30\n60\n", encoding="utf-8")
    (folder / "profile.csv").write_text("interval_start,calls\n00:00,10\n00:30,20\n", encoding="utf-8")
    (tmp_path / "secret.csv").write_text("seconds\n1\n", encoding="utf-8")
    (tmp_path / "secret-profile.csv").write_text("interval_start,calls\n00:00,10\n", encoding="utf-8")
    return folder


def _empirical(file: str) -> dict:
    return {**BASE, "handle_time": {"distribution": "empirical", "file": file, "column": "seconds"}}


def _profile(file: str) -> dict:
    return {**BASE, "arrivals": {"interval": "30min", "file": file}}


@pytest.mark.parametrize("make", [_empirical, _profile], ids=["empirical", "arrivals"])
def test_relative_paths_inside_the_config_folder_work(layout: Path, make) -> None:
    name = "data/aht.csv" if make is _empirical else "profile.csv"
    path = _write(layout, make(name))
    assert _cli("validate", str(path))[0] == 0
    # also when run from elsewhere, and written as ./x or data/../x (still inside)
    for variant in (f"./{name}", f"data/../{name}"):
        assert _cli("validate", str(_write(layout, make(variant))))[0] == 0


@pytest.mark.parametrize("make,field", [(_empirical, "empirical: file"), (_profile, "arrivals: file")],
                         ids=["empirical", "arrivals"])
@pytest.mark.parametrize("kind", ["absolute", "dotdot", "home", "symlink"])
def test_paths_escaping_the_config_folder_are_refused(layout: Path, make, field: str, kind: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUEUESIM_ALLOW_ANY_PATH", raising=False)
    secret = "secret.csv" if make is _empirical else "secret-profile.csv"
    if kind == "absolute":
        name = str(layout.parent / secret)
    elif kind == "dotdot":
        name = f"data/../../{secret}"
    elif kind == "home":
        name = f"~/{secret}"
    else:
        (layout / "link.csv").symlink_to(layout.parent / secret)
        name = "link.csv"
    path = _write(layout, make(name))
    code, _, err = _cli("validate", str(path))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert field in lines[0] and repr(name) in lines[0], lines[0]
    assert "QUEUESIM_ALLOW_ANY_PATH=1" in lines[0]
    assert ("absolute paths are not allowed" if kind in ("absolute", "home") else "outside the config's folder") in lines[0]
    # the opt-in: the user running queuesim allows any path
    monkeypatch.setenv("QUEUESIM_ALLOW_ANY_PATH", "1")
    if kind == "home":
        monkeypatch.setenv("HOME", str(layout.parent))
    assert _cli("validate", str(path))[0] == 0
    monkeypatch.setenv("QUEUESIM_ALLOW_ANY_PATH", "0")
    assert _cli("validate", str(path))[0] == 2


def test_the_rule_also_applies_in_variants_sweeps_and_call_types(layout: Path) -> None:
    outside = str(layout.parent / "secret.csv")
    configs = [
        {**_empirical("data/aht.csv"), "variants": {"v": {"handle_time": {"file": outside}}}},
        {**BASE, "sweep": {"handle_time.file": ["data/aht.csv", "../secret.csv"]},
         "handle_time": {"distribution": "empirical", "file": "data/aht.csv", "column": "seconds"}},
        {**{k: v for k, v in BASE.items() if k != "arrivals"},
         "call_types": [{"name": "a", "arrivals": {"interval": "30min", "file": "../secret-profile.csv"}}]},
    ]
    for config in configs:
        with pytest.raises(ConfigError, match="outside the config's folder|absolute paths are not allowed"):
            load_config(_write(layout, config))


def test_shipped_configs_and_fit_outputs_still_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipped configs read their CSV beside them; run from another directory they still work."""
    monkeypatch.delenv("QUEUESIM_ALLOW_ANY_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert _cli("validate", str(path))[0] == 0, path
    # queuesim fit writes empirical CSVs beside the config it writes: the same folder, so allowed
    from queuesim.fit.core import write_config

    config = {**BASE, "call_types": [{"name": "a", "share": 1.0,
                                      "handle_time": {"distribution": "empirical", "values": [30.0, 60.0, 90.0]}}]}
    written = write_config(config, tmp_path / "fitted" / "day.yaml")
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert data["call_types"][0]["handle_time"]["file"] == "day-a-handle-time.csv"
    assert _cli("validate", str(written))[0] == 0


def test_resolved_config_of_a_run_does_not_depend_on_the_data_files(layout: Path) -> None:
    """A run's DIR/config.yaml holds the values read from files, so it loads even where the files are not."""
    config = {**_profile("profile.csv"), "handle_time": {"distribution": "empirical", "file": "data/aht.csv",
                                                         "column": "seconds"}, "replications": 1}
    path = _write(layout, config)
    out = layout.parent / "results"
    assert _cli("run", str(path), "--executor", "serial", "-q", "--out", str(out))[0] == 0
    assert _cli("validate", str(out / "config.yaml"))[0] == 0


def test_yaml_tags_that_would_run_code_are_refused(tmp_path: Path) -> None:
    for text in ("!!python/object/apply:os.system ['echo pwned']\n", "agents: !!python/name:os.system\n",
                 "a: !!python/object/new:subprocess.Popen [['touch', 'pwned']]\n"):
        path = tmp_path / "evil.yaml"
        path.write_text(text, encoding="utf-8")
        code, _, err = _cli("validate", str(path))
        assert code == 2 and len(err.splitlines()) == 1 and "YAML syntax error" in err
    assert not (tmp_path / "pwned").exists()


def test_no_eval_exec_or_unsafe_yaml_in_the_package() -> None:
    """YAML only through safe_load/safe_dump; no eval, exec, pickle loads of inputs."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(r"\b(eval|exec)\s*\(", code) or re.search(r"yaml\.(load|unsafe_load|full_load|load_all)\s*\(", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            if re.search(r"\bpickle\.loads?\s*\(|\bmarshal\.loads?\s*\(|allow_pickle\s*=\s*True", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            if re.search(r"yaml\.(Loader|FullLoader|UnsafeLoader)\b", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_env_opt_in_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "QUEUESIM_ALLOW_ANY_PATH=1" in readme
    assert os.environ.get("QUEUESIM_ALLOW_ANY_PATH") in (None, "", "0")  # the suite runs with the rule on


def test_result_files_get_ordinary_permissions(tmp_path) -> None:
    """Atomic writes go through mkstemp (mode 0600); the file written must follow the umask
    like any other, so that colleagues sharing a result folder can read it."""
    import os
    import stat

    from queuesim.experiment.atomic import write_text_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "x.json"
    write_text_atomic(target, "{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
