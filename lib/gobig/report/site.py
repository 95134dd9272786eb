"""The book's Sphinx extension (``_config.yml``: ``sphinx.extra_extensions``):
where the book's code lives, and citations that read the same in the text
and in the bibliography.

**The repository's address** is written in no file: a copy of the book must
not claim an address it does not have. It is, in order,
``$GOBIG_REPOSITORY_URL`` (the GitHub workflow sets it from
``${{ github.server_url }}/${{ github.repository }}``), else the web address
of the clone's ``origin`` remote, else none. With an address the pages get
the repository, issues and Binder launch buttons, and the ``{{ repository }}``
substitution is a link to it; with none they get no such buttons and the
substitution says so.

**Citations** read author-year everywhere: the text's ``{cite:p}`` gives
"[Madry et al., 2018]" (``bibtex_reference_style: author_year``), and the
``gobig`` bibliography style labels each entry the same way instead of
pybtex's "[MMS+18]".
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gobig.core import paths

#: The environment variable that names the repository's web address.
URL_VARIABLE = "GOBIG_REPOSITORY_URL"

_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")  # git@github.com:owner/repo.git


def web_address(remote: str) -> str:
    """A git remote as the web address of its repository ("" for a remote
    that has none, such as a local path). Credentials are never kept."""
    remote = remote.strip()
    if re.match(r"^https?://", remote):
        scheme, rest = remote.split("://", 1)
        host_and_path = rest.split("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        address = f"https://{host_and_path}" if scheme == "https" else f"http://{host_and_path}"
    elif match := re.match(r"^ssh://(?:[\w.-]+@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>.+)$", remote):
        address = f"https://{match['host']}/{match['path']}"
    elif match := _SCP_REMOTE.match(remote):
        address = f"https://{match['host']}/{match['path']}"
    else:
        return ""
    return address.removesuffix("/").removesuffix(".git")


def repository_url(root: Path = paths.ROOT) -> str:
    """The repository's web address: ``$GOBIG_REPOSITORY_URL``, else the
    ``origin`` remote's, else ""."""
    configured = os.environ.get(URL_VARIABLE, "").strip()
    if configured:
        return web_address(configured) or configured.rstrip("/")
    try:
        remote = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return web_address(remote.stdout) if remote.returncode == 0 else ""


def _configure_repository(app, config) -> None:
    url = repository_url(Path(app.srcdir))
    options = config.html_theme_options
    substitutions = dict(config.myst_substitutions or {})
    if url:
        options.update(
            repository_url=url,
            repository_branch=options.get("repository_branch") or "main",
            use_repository_button=True,
            use_issues_button=True,
        )
        substitutions["repository"] = f"[{url}]({url})"
    else:
        # Launch buttons open the notebook from the repository: none without its address.
        options["launch_buttons"] = {**options.get("launch_buttons", {}), "binderhub_url": "", "colab_url": ""}
        options.update(use_repository_button=False, use_issues_button=False)
        substitutions["repository"] = (
            f"(the repository's address was not known when this copy was built: no `origin` remote, no `{URL_VARIABLE}`)"
        )
    config.myst_substitutions = substitutions


# ---- author-year labels in the bibliography ------------------------------------


def _register_bibliography_style() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        """ "Madry et al., 2018", "Bubeck and Sellke, 2021", "Silverton Consulting, 2022a"."""

        def format_labels(self, sorted_entries):
            for entry in sorted_entries:
                yield self.format_label(entry)

        @staticmethod
        def format_label(entry) -> str:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]
            if not names:
                who = entry.fields.get("title", entry.key)
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            return f"{who}, {entry.fields.get('year', 'n.d.')}"

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = "gobig"
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.labels", "gobig", AuthorYearLabels, force=True)
    register_plugin("pybtex.style.formatting", "gobig", AuthorYearStyle, force=True)


def setup(app):
    _register_bibliography_style()
    # After Jupyter Book's own configuration, before the theme reads its options.
    app.connect("config-inited", _configure_repository, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
