"""The GitHub workflows (.github/workflows) cannot run here; these tests
read them and check that they run the README's own commands: `make book`,
whose output they publish to GitHub Pages, and `make test` on every push
and pull request. The commands are read from the README, so a README that
changes its commands fails here until the workflows follow."""

from __future__ import annotations

import re

import pytest
import yaml

from gobig.core import paths

pytestmark = pytest.mark.unit

WORKFLOWS = paths.ROOT / ".github" / "workflows"


def readme_setup_commands() -> dict[str, str]:
    """The commands of the README's "Set up" block, by their make target,
    and the folder `make book` builds into (its comment names it)."""
    readme = (paths.ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands, output = {}, None
    for line in block.splitlines():
        command, _, comment = line.partition("#")
        if command.strip().startswith("make "):
            commands[command.split()[1]] = command.strip()
            if command.split()[1] == "book":
                output = re.search(r"into ([\w./-]*\w)", comment).group(1)
    assert {"book", "test"} <= set(commands), f"the README's set-up block lost a command: {block}"
    return {**commands, "book output": output}


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, body in workflow["jobs"].items() for step in body.get("steps", [])]


def runs(step: dict) -> list[str]:
    return [line.strip() for line in step.get("run", "").splitlines() if line.strip()]


def uses(step: dict, action: str) -> bool:
    return step.get("uses", "").split("@")[0] == action


def test_the_readme_names_the_commands_the_workflows_must_run():
    commands = readme_setup_commands()
    assert commands["book"] == "make book" or commands["book"].startswith("make book ")
    assert commands["book output"], "the README's `make book` line no longer says where the book goes"


def test_the_book_workflow_builds_with_the_readme_command_and_deploys_it_to_pages():
    commands = readme_setup_commands()
    workflow = load("book.yml")
    assert "push" in workflow["on"]
    found = steps(workflow)
    build = [(job, i) for i, (job, step) in enumerate(found) if commands["book"] in runs(step)]
    assert build, f"no step of book.yml runs the README's {commands['book']!r}"
    build_job, build_index = build[0]
    upload = [(job, i, step) for i, (job, step) in enumerate(found) if uses(step, "actions/upload-pages-artifact")]
    assert upload, "book.yml does not upload a Pages artifact"
    upload_job, upload_index, upload_step = upload[0]
    assert upload_job == build_job and upload_index > build_index, (
        "the artifact must be uploaded after the build, in its job"
    )
    assert upload_step["with"]["path"].rstrip("/") == commands["book output"].rstrip("/"), (
        f"book.yml publishes {upload_step['with']['path']!r}, the README's `make book` builds into {commands['book output']!r}"
    )
    deploy = [job for job, step in found if uses(step, "actions/deploy-pages")]
    assert deploy, "book.yml does not deploy to Pages"
    deploy_job = workflow["jobs"][deploy[0]]
    assert build_job in [deploy_job.get("needs")] + list(deploy_job.get("needs") or []), (
        "the deployment must wait for the build"
    )
    permissions = {**workflow.get("permissions", {}), **deploy_job.get("permissions", {})}
    assert permissions.get("pages") == "write" and permissions.get("id-token") == "write"
    assert deploy_job["environment"]["name"] == "github-pages"
    assert any(uses(step, "actions/configure-pages") for _, step in found)


def test_the_tests_workflow_runs_the_readme_test_command_on_push_and_pull_request():
    commands = readme_setup_commands()
    workflow = load("tests.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert any(commands["test"] in runs(step) for _, step in steps(workflow)), (
        f"no step of tests.yml runs {commands['test']!r}"
    )


@pytest.mark.parametrize("name", ["book.yml", "tests.yml"])
def test_workflows_check_out_the_code_before_running_make(name):
    for job, body in load(name)["jobs"].items():
        lines = [(i, step) for i, step in enumerate(body.get("steps", []))]
        makes = [i for i, step in lines if any(line.startswith("make ") for line in runs(step))]
        checkouts = [i for i, step in lines if uses(step, "actions/checkout")]
        if makes:
            assert checkouts and checkouts[0] < makes[0], f"{name}: job {job} runs make before checking out the code"
