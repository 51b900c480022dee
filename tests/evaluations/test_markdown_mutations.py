"""evaluations.markdown, rule by rule: what its mutants change must fail here (scripts/mutation)."""

from __future__ import annotations

import pytest

from evaluations.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, plain_blocks, render, sanitize


@pytest.mark.parametrize("href", ["http://example.org/a", "https://example.org/a", "mailto:desk@example.org"])
def test_allowed_link_schemes_keep_their_href(href):
    html = sanitize(f'<a href="{href}">x</a>')
    assert f'href="{href}"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "data:text/html,x", "ftp://example.org/a", "vbscript:x", "tel:+1555", "file:///etc/passwd"],
)
def test_other_link_schemes_lose_their_href(href):
    html = sanitize(f'<a href="{href}">x</a>')
    assert "href" not in html
    assert ">x</a>" in html


def test_markdown_links_follow_the_same_allow_list():
    assert 'href="https://example.org"' in render("[a](https://example.org)")
    assert 'href="mailto:a@example.org"' in render("[a](mailto:a@example.org)")
    assert "href" not in render("[a](ftp://example.org)")


def test_the_tag_list_is_exact():
    assert {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "mark", "span", "del", "sup", "sub",
    } == ALLOWED_TAGS  # fmt: skip
    assert {"a": {"href", "title"}, "mark": {"id", "class", "data-annotation"}, "span": {"class"}} == ALLOWED_ATTRIBUTES


@pytest.mark.parametrize("tag", sorted(ALLOWED_TAGS - {"br", "hr", "a"}))
def test_each_allowed_tag_survives(tag):
    assert sanitize(f"<{tag}>x</{tag}>") == f"<{tag}>x</{tag}>"


@pytest.mark.parametrize("tag", ["script", "style", "iframe", "img", "h1", "div", "table", "form", "input"])
def test_other_tags_go(tag):
    assert f"<{tag}" not in sanitize(f"<{tag}>x</{tag}>")


def test_attributes_only_where_allowed():
    assert sanitize('<a href="https://e.org" title="t" class="c">x</a>') == (
        '<a href="https://e.org" title="t" rel="noopener noreferrer nofollow">x</a>'
    )
    assert sanitize('<mark id="m1" class="k" data-annotation="3" style="color:red">x</mark>') == (
        '<mark id="m1" class="k" data-annotation="3">x</mark>'
    )
    assert sanitize('<span class="k" id="s">x</span>') == '<span class="k">x</span>'
    assert sanitize('<p class="k" onclick="x()">x</p>') == "<p>x</p>"


def test_render_is_commonmark_without_raw_html_images_or_typography():
    assert render("**b** _i_") == "<p><strong>b</strong> <em>i</em></p>\n"
    assert "<script" not in render("<script>alert(1)</script>")
    assert "&lt;b&gt;" in render("<b>x</b>")  # raw HTML is shown as text, not rendered
    assert "<img" not in render("![alt](https://example.org/i.png)")
    assert render('"quoted" -- dash') == '<p>"quoted" -- dash</p>\n'
    assert render("see https://example.org") == "<p>see https://example.org</p>\n"  # no linkify


@pytest.mark.parametrize("empty", ["", None])
def test_render_of_nothing_is_empty(empty):
    assert render(empty) == ""


# --- plain_blocks: what the narrative diff compares (evaluations.compare) ---------------------------


def test_plain_blocks_are_the_text_a_reader_sees_block_by_block():
    text = (
        "## A *heading*\n\n"
        "A **bold** `code` [link](https://example.org) line\nand its next line  \nafter a break.\n\n"
        "- one item\n- two\n\n"
        "> quoted\n\n"
        "```\nfenced  code\n```\n\n"
        "    indented code\n\n"
        "<b>html</b> ![image](x.png)\n\n"
        "---\n"
    )
    assert plain_blocks(text) == [
        "A heading",
        "A bold code link line and its next line after a break.",
        "one item",
        "two",
        "quoted",
        "fenced  code\n",
        "indented code\n",
        "<b>html</b> !image",  # raw HTML shown as text; images are off: a link after "!"
    ]


@pytest.mark.parametrize("text", ["", "   \n\n", "---\n"])
def test_plain_blocks_of_nothing_visible_are_none(text):
    assert plain_blocks(text) == []
