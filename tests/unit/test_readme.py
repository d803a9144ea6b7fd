"""The README shows the two set-up commands and the environment table as the settings define it."""

from __future__ import annotations

from pathlib import Path

from devstack.contract_doc import BEGIN, END, table

README = Path(__file__).parents[2] / "README.md"


def test_readme_env_table_is_generated_from_the_settings() -> None:
    text = README.read_text()
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == table(), "regenerate with: python -m devstack.contract_doc"


def test_readme_names_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text
