"""Scripts that start worker processes: the README's Python example runs as pasted, and an
unguarded script gets one line saying what to do instead of workers re-running it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from queuesim.experiment.guard import _guarded_lines, unguarded_line

from .conftest import ROOT

CONFIG = ROOT / "configs" / "erlang-a.yaml"


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=240)


def test_local_dask_cluster_in_an_unguarded_script_fails_in_one_line_naming_the_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    proc = _script(tmp_path, f"""\
        import queuesim as qs
        exp = qs.load_config({str(CONFIG)!r}, ["horizon=1h"])
        result = qs.run(exp, replications=2, executor="dask", workers=1, quiet=True, out="results")
        print("finished")
        """)
    assert proc.returncode != 0 and "finished" not in proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("queuesim.experiment.guard.MainGuardError: ")
    assert "script.py" in last and "line 3" in last and 'if __name__ == "__main__":' in last, last
    assert "another queuesim run" not in proc.stderr


def test_process_pool_that_spawns_is_checked_too(tmp_path: Path) -> None:
    proc = _script(tmp_path, f"""\
        import multiprocessing
        import queuesim as qs
        multiprocessing.set_start_method("spawn")
        exp = qs.load_config({str(CONFIG)!r}, ["horizon=1h"])
        qs.run(exp, replications=2, executor="processes", workers=2, quiet=True)
        """)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "MainGuardError" in last and "line 5" in last and "'spawn'" in last, last


def test_guarded_script_with_a_spawning_pool_runs(tmp_path: Path) -> None:
    proc = _script(tmp_path, f"""\
        import multiprocessing
        import queuesim as qs

        if __name__ == "__main__":
            multiprocessing.set_start_method("spawn")
            exp = qs.load_config({str(CONFIG)!r}, ["horizon=1h"])
            print(qs.run(exp, replications=2, executor="processes", workers=2, quiet=True).table())
        """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "abandonment_rate" in proc.stdout


def test_the_readme_python_example_runs_as_pasted(tmp_path: Path) -> None:
    """The README's researcher example, saved as a script and run on worker processes."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## For researchers: Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert 'if __name__ == "__main__":' in code and 'executor="processes"' in code
    path = tmp_path / "example.py"
    path.write_text(code.replace('horizon="8h"', 'horizon="1h"').replace("replications=20", "replications=3"))
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "abandonment rate:" in proc.stdout and "95% CI" in proc.stdout


def test_the_python_api_page_example_runs_as_pasted(tmp_path: Path) -> None:
    """The block of docs/python.md, saved as a script and run (a local Dask cluster included)."""
    pytest.importorskip("distributed")
    page = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    assert 'if __name__ == "__main__":' in code and 'executor="dask"' in code
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    path = tmp_path / "example.py"
    path.write_text(code)
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "crn.png").stat().st_size > 10_000 and (tmp_path / "results" / "exp1" / "summary.json").exists()


def test_guard_detection_reads_the_script() -> None:
    source = textwrap.dedent("""\
        import queuesim as qs
        x = 1
        if __name__ == "__main__":
            run()
            more()
        if "__main__" == __name__:
            other()
        if __name__ == "__other__":
            no()
        """)
    assert _guarded_lines(source) == [(4, 5), (7, 7)]
    compound = textwrap.dedent("""\
        import sys
        if __name__ == "__main__" and len(sys.argv) >= 1:
            run()
        try:
            if __name__ == "__main__":
                run()
        except KeyboardInterrupt:
            pass
        run()
        """)
    assert _guarded_lines(compound) == [(3, 3), (6, 6)]
    assert unguarded_line() is None, "pytest's own __main__ runs its work under the guard"
