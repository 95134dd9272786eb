"""gobig.report.site: the repository's address is found, never invented,
and the bibliography is labelled author-year like the text."""

import types

import pytest

from gobig.report import site

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("remote", "address"),
    [
        ("git@github.com:owner/gobig.git", "https://github.com/owner/gobig"),
        ("https://github.com/owner/gobig.git", "https://github.com/owner/gobig"),
        ("https://user:secret@github.com/owner/gobig", "https://github.com/owner/gobig"),
        ("ssh://git@github.com/owner/gobig.git", "https://github.com/owner/gobig"),
        ("/srv/git/gobig.git", ""),
        ("", ""),
    ],
)
def test_a_remote_becomes_a_web_address_without_credentials(remote, address):
    assert site.web_address(remote) == address


def _config():
    return types.SimpleNamespace(
        html_theme_options={"launch_buttons": {"binderhub_url": "https://mybinder.org"}}, myst_substitutions={}
    )


def test_buttons_and_the_citation_line_follow_the_address(monkeypatch, tmp_path):
    app = types.SimpleNamespace(srcdir=str(tmp_path))  # not a git checkout: no origin remote
    monkeypatch.setenv(site.URL_VARIABLE, "https://github.com/owner/gobig")
    config = _config()
    site._configure_repository(app, config)
    assert config.html_theme_options["repository_url"] == "https://github.com/owner/gobig"
    assert config.html_theme_options["use_repository_button"] and config.html_theme_options["use_issues_button"]
    assert "https://github.com/owner/gobig" in config.myst_substitutions["repository"]

    monkeypatch.delenv(site.URL_VARIABLE)
    config = _config()
    site._configure_repository(app, config)
    assert "repository_url" not in config.html_theme_options
    assert not config.html_theme_options["use_repository_button"]
    assert config.html_theme_options["launch_buttons"]["binderhub_url"] == "", "no launch without the address"
    assert "address was not known" in config.myst_substitutions["repository"]


def test_bibliography_labels_read_author_year():
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    site._register_bibliography_style()
    entries = parse_string(
        "@misc{a, author={{Silverton Consulting}}, title={T}, year={2022a}}"
        "@misc{b, author={Bubeck, S. and Sellke, M.}, title={U}, year={2021}}"
        "@misc{c, author={Madry, A. and Makelov, A. and Schmidt, L.}, title={V}, year={2018}}",
        "bibtex",
    ).entries
    labels = list(find_plugin("pybtex.style.labels", "gobig")().format_labels(entries.values()))
    assert labels == ["Silverton Consulting, 2022a", "Bubeck and Sellke, 2021", "Madry et al., 2018"]
