"""The documentation: a README that fits on a few screens, and a docs site whose strict build catches broken links."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

README = ROOT / "README.md"


def _slug(heading: str) -> str:
    """The anchor MkDocs and GitHub give a heading (lower case, punctuation dropped, spaces as '-')."""
    return re.sub(r"\s+", "-", re.sub(r"[^\w\- ]", "", heading.strip().lower()))


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_readme_fits_on_a_few_screens() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 300, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_links_resolve_to_files_and_headings() -> None:
    """Every relative link of the README names an existing file, and an anchor that is a heading of it."""
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        path, _, anchor = link.partition("#")
        target = README.parent / path if path else README
        assert target.exists(), f"README links to missing {path}"
        if anchor:
            assert anchor in _anchors(target), f"README links to {link}: no such heading"


def test_docs_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    """mkdocs build --strict: a broken link, a missing anchor or a page left out of the nav fails."""
    pytest.importorskip("mkdocs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "site" / "flagship" / "index.html").exists()


def test_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    """The check above can fail: the same site with one broken anchor does not build."""
    pytest.importorskip("mkdocs")
    import shutil

    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "staffing.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [the outputs](outputs.md#no-such-heading).\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "no-such-heading" in proc.stderr
