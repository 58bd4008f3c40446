"""Blocks of the docs that a benchmark writes itself (`artwork_env.experiments.published`)."""

from __future__ import annotations

import re

import pytest

from artwork_env.experiments.published import Tee, commit_stamp, print_and_publish, write_block


def test_a_block_is_replaced_whole_and_the_prose_around_it_kept(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Speed\n\nprose before\n\n<!-- begin speed -->\nold table\n"
                    "<!-- end speed -->\n\nprose after\n")
    write_block(page, "speed", "| a | b |\n|---|---|\n| 1 | 2 |\n", "python bench.py")
    text = page.read_text()
    assert text.startswith("# Speed\n\nprose before\n\n<!-- begin speed -->\nWritten by "
                           "`python bench.py` at commit ")
    assert "old table" not in text
    assert text.endswith("| 1 | 2 |\n<!-- end speed -->\n\nprose after\n")
    write_block(page, "speed", "new", "python bench.py")  # again: still one block
    assert page.read_text().count("<!-- begin speed -->") == 1
    assert "| 1 | 2 |" not in page.read_text()


@pytest.mark.parametrize("content", ["no markers\n", "<!-- end speed -->\n<!-- begin speed -->\n",
                                     "<!-- begin speed -->\n<!-- end speed -->\n"
                                     "<!-- begin speed -->\n<!-- end speed -->\n"])
def test_a_page_without_exactly_one_ordered_block_is_refused_and_left_alone(tmp_path, content):
    page = tmp_path / "page.md"
    page.write_text(content)
    with pytest.raises(ValueError, match="expected one"):
        write_block(page, "speed", "table", "python bench.py")
    assert page.read_text() == content


def test_the_stamp_names_a_commit_or_says_it_is_unknown(tmp_path):
    assert commit_stamp(tmp_path) == "an unknown commit"
    assert re.fullmatch(r"[0-9a-f]{7,}( \+ changes)?|an unknown commit", commit_stamp())


def test_tee_prints_and_keeps_a_copy(capsys):
    with Tee() as out:
        print("a table")
    assert out.getvalue() == "a table\n"
    assert capsys.readouterr().out == "a table\n"


def test_print_and_publish_writes_the_block_only_when_asked(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text("<!-- begin speed -->\nold\n<!-- end speed -->\n")
    print_and_publish(lambda: print("| new |"), "speed", "python bench.py", False, page)
    assert "old" in page.read_text() and capsys.readouterr().out == "| new |\n"
    print_and_publish(lambda: print("| new |"), "speed", "python bench.py", True, page)
    assert "old" not in page.read_text() and "| new |\n<!-- end speed -->" in page.read_text()
