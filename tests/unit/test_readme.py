"""The README shows the two set-up commands and the environment table as the settings define it."""

from __future__ import annotations

from pathlib import Path

from devstack.contract_doc import BEGIN, END, env_example, table

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"


def test_readme_env_table_is_generated_from_the_settings() -> None:
    text = README.read_text()
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == table(), "regenerate with: python -m devstack.contract_doc"


def test_readme_names_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text


def test_env_example_holds_every_variable_as_the_settings_define_it() -> None:
    assert (ROOT / ".env.example").read_text() == env_example(), (
        "regenerate with: python -m devstack.contract_doc --env-example > .env.example"
    )


def test_license_and_changelog_are_there() -> None:
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in changelog
    pyproject = (ROOT / "pyproject.toml").read_text().splitlines()
    version = next(line for line in pyproject if line.startswith("version")).split('"')[1]
    assert f"## [{version}]" in changelog
