"""The README is usable from a clone: every link resolves inside the repository; the walk-through has no fixed
dates (they are computed in the shell)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", ["README.md", "docs/api.md"])
def test_every_link_resolves_inside_the_repository(doc):
    path = ROOT / doc
    targets = LINK.findall(path.read_text())
    for target in targets:
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # an absolute URL or an anchor on the same page
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc} links outside the repository: {target}"
        assert resolved.exists(), f"{doc} links to a missing file: {target}"


def test_the_readme_links_to_the_api_reference():
    assert "](docs/api.md)" in (ROOT / "README.md").read_text()


def test_the_walk_through_computes_its_dates():
    text = (ROOT / "README.md").read_text()
    walk = text.split("## A walk-through with curl", 1)[1].split("\n## ", 1)[0]
    assert "date -u -d" in walk
    assert not re.search(r"20\d\d-\d\d-\d\d", walk), "a fixed date in the walk-through slips into the past"
