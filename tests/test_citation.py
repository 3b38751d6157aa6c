"""CITATION.cff and LICENSE: valid CFF 1.2.0 keys, the package's version, the licence the file grants.
(`cffconvert --validate` checks the full schema; it is not a project dependency, so this checks what
GitHub's "Cite this repository" and the Snakemake workflow catalog read.)"""
import re

import yaml

from conftest import REPO


def test_citation_has_the_required_keys_and_the_package_version():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= set(cff) and cff["authors"]
    # a regex, not tomllib: the project supports Python 3.10, which has none
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert str(cff["version"]) == version
    assert cff["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")


def test_citation_references_the_paper():
    (paper,) = [r for r in yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))["references"]
                if r["type"] == "conference-paper"]
    assert paper["title"] == "Bridging Maximum Likelihood and Adversarial Learning via α-Divergence"
    assert [a["family-names"] for a in paper["authors"]] == ["Zhao", "Cong", "Dai", "Carin"]
    assert paper["year"] == 2020 and "AAAI" in paper["conference"]["name"]
    assert "doi" not in paper  # the paper text gives none; do not make one up
