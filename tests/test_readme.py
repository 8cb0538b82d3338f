"""The README must stay true: its statistics example runs as printed."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_statistics_example_in_the_readme_runs(capsys):
    section = README.split("## Statistics API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.split("\n")
    estimate, interval = printed[0].split(" ", 1)
    assert -1 <= float(estimate) <= 1
    low, high = (float(x) for x in interval.strip("[]").split(","))
    assert low <= float(estimate) <= high


def test_the_readme_names_the_two_quick_start_commands():
    assert "./run.sh serve" in README and "./run.sh test" in README
