"""Run a composite action's steps the way the GitHub runner does, on this machine.

Reads action.yml, substitutes the ``${{ ... }}`` expressions the action uses (inputs with
their defaults, github.action_path, github.workspace, runner.temp, steps.<id>.outputs.<name>),
gives each step fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, runs each ``run:`` with
its shell (bash as ``bash --noprofile --norc -eo pipefail FILE``), stops at the first failing
step, and evaluates the action's outputs. Any other expression is an error, so the action
cannot depend on something this harness does not emulate.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}


@dataclass
class ActionResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def annotations(self, level: str) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{level} ")]


def parse_output_file(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads them."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


class Context:
    def __init__(self, action: dict, inputs: dict[str, str], action_path: Path, workspace: Path, temp: Path) -> None:
        declared = action.get("inputs", {})
        unknown = set(inputs) - set(declared)
        if unknown:
            raise ValueError(f"inputs not declared in action.yml: {sorted(unknown)}")
        self.inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        self.inputs.update(inputs)
        self.action_path, self.workspace, self.temp = action_path, workspace, temp
        self.steps: dict[str, dict[str, str]] = {}

    def value(self, expression: str) -> str:
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2 and parts[1] in self.inputs:
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        known = {"github.action_path": str(self.action_path), "github.workspace": str(self.workspace),
                 "runner.temp": str(self.temp)}
        if expression in known:
            return known[expression]
        raise ValueError(f"expression not emulated: ${{{{ {expression} }}}}")

    def substitute(self, text: str) -> str:
        return _EXPRESSION.sub(lambda match: self.value(match.group(1)), str(text))


def run_action(action_dir: Path, workspace: Path, runner_temp: Path, inputs: dict[str, str],
               event: dict | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> ActionResult:
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    context = Context(action, inputs, action_dir, workspace, runner_temp)
    files = runner_temp / "_runner_files"
    files.mkdir(parents=True, exist_ok=True)
    event_path = files / "event.json"
    event_path.write_text(json.dumps(event or {}))
    base_env = dict(env or os.environ)
    base_env.update({
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
        "GITHUB_EVENT_PATH": str(event_path), "GITHUB_EVENT_NAME": "pull_request" if event else "push",
        "GITHUB_ACTION_PATH": str(action_dir),
    })
    base_env.update({f"INPUT_{name.upper()}": value for name, value in context.inputs.items()})
    stdout, stderr, summary, returncode = [], [], [], 0
    for number, step in enumerate(action["runs"]["steps"]):
        if "if" in step or "uses" in step:
            raise ValueError(f"step {number}: only unconditional run steps are emulated")
        output_file, summary_file = files / f"output_{number}", files / f"summary_{number}"
        output_file.write_text("")
        summary_file.write_text("")
        script = files / f"step_{number}.sh"
        script.write_text(context.substitute(step["run"]))
        step_env = dict(base_env, GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file))
        step_env.update({name: context.substitute(value) for name, value in step.get("env", {}).items()})
        result = subprocess.run([*SHELLS[step["shell"]], str(script)], cwd=workspace, env=step_env,
                                capture_output=True, text=True, timeout=timeout)
        stdout.append(result.stdout)
        stderr.append(result.stderr)
        summary.append(summary_file.read_text())
        if "id" in step:
            context.steps[step["id"]] = parse_output_file(output_file.read_text())
        if result.returncode != 0:
            returncode = result.returncode
            break
    outputs = {name: context.substitute(spec["value"]) for name, spec in action.get("outputs", {}).items()}
    return ActionResult(returncode, "".join(stdout), "".join(stderr), outputs, "".join(summary), context.steps)
