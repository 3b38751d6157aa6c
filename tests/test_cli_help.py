"""`python -m alphabridge --help` and every command's `--help` print (a stray % in a help string
makes argparse raise instead), and each command's page names its required flags."""
import pytest

from alphabridge.cli import COMMANDS, build_parser


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_help_page(name, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([name, "--help"])
    assert e.value.code == 0
    assert f"python -m alphabridge {name}" in capsys.readouterr().out
