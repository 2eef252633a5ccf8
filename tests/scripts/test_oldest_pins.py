import re
from pathlib import Path

import pytest
from oldest_pins import OF_THEIR_TIME, PYPROJECT, oldest_pins

README = Path(__file__).resolve().parents[2] / "README.md"


def _pyproject(tmp_path: Path, dependencies: list[str]) -> Path:
    path = tmp_path / "pyproject.toml"
    listed = ", ".join(f"'{dependency}'" for dependency in dependencies)  # TOML's literal strings
    path.write_text(f'[project]\nname = "x"\ndependencies = [\n    {listed},\n]\n', encoding="utf-8")
    return path


def test_each_lower_bound_is_installed_exactly_with_the_releases_of_its_time(tmp_path):
    path = _pyproject(tmp_path, ["torch>=2.3", "tokenizers >= 0.20.1", "rich>=13.8,<16", "PyYAML>=6.0.1"])
    pins = ["torch==2.3", "tokenizers==0.20.1", "rich==13.8", "PyYAML==6.0.1"]
    assert oldest_pins(path) == [*pins, *OF_THEIR_TIME]
    for unstated in ["numpy", "foo[bar]>=1", 'foo>=1,<2; python_version < "3.11"', "foo<3,>=1"]:
        with pytest.raises(ValueError, match="in .* has no plain '>=' bound to test"):
            oldest_pins(_pyproject(tmp_path, ["torch>=2.3", unstated]))


def test_the_readme_names_the_oldest_release_of_each_dependency_pyproject_allows():
    """The README's list of the oldest releases attn is tested with is pyproject.toml's bounds."""
    pins = [pin for pin in oldest_pins(PYPROJECT) if pin not in OF_THEIR_TIME]
    assert pins[0] == "torch==2.3"  # the bound the project keeps, whatever the newest torch
    text = README.read_text(encoding="utf-8")
    listed = re.search(r"the oldest releases it allows \(([^)]*)\)", text)
    assert listed is not None
    assert listed[1] == ", ".join(pin.replace("==", " ").replace("pyyaml", "PyYAML") for pin in pins)
