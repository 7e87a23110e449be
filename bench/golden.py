"""Write what cardguard says about the corpus into one folder, to compare two trees' output.

A change meant to keep behaviour (a speed change, a move between modules) runs this script on
the tree before it and on the tree after it, then compares the two folders::

    python bench/golden.py /tmp/golden-before            # on the old tree
    python bench/golden.py /tmp/golden-after             # on the new tree
    diff -r /tmp/golden-before /tmp/golden-after         # empty: nothing a user sees changed

It runs the commands a user runs, in fresh processes of this checkout: ``validate`` over the
789 corpus cards (json for each profile, sarif, text), ``check`` over them (json, text), and
for each folder of real checkpoint metadata (rebuilt with the files' own names) ``check``,
``facts`` and ``sync --check``; then ``audit --jobs 1`` over the rebuilt model folders and over
the cards each in a folder of its own (its results and reports, the wall-clock parts masked). Exit codes go in ``exit-codes.txt``.
Temporary paths are replaced by ``<corpus>`` and ``<work>`` so two runs compare.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import CHECKOUT, NO_TIME_BUDGET, child_environment

CORPUS = CHECKOUT.parent / "shared" / "corpus"
CARDS = CORPUS / "cards"
ARTIFACTS = CORPUS / "artifacts"
# Parts of audit's outputs that change from run to run: times, durations, the cache folder.
VOLATILE = re.compile(
    r'"(?:started|finished|checked_at|modified|elapsed|seconds|duration)[a-z_]*": *(?:"[^"]*"|[0-9.e+-]+)'
    r"|\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"
    r"|\b\d+(?:\.\d+)? ?(?:ms|s)\b"
)


def rebuild_artifacts(work: Path) -> list[Path]:
    """One model folder per corpus artifact folder, its files under their own names (the corpus
    prefixes each with ``OWNER__REPO__PATH__``), with a copy of a card where the corpus has one."""
    folders = []
    for source in sorted(path for path in ARTIFACTS.iterdir() if path.is_dir()):
        target = work / "models" / source.name
        target.mkdir(parents=True)
        for file in sorted(source.rglob("*")):
            if file.is_dir() or file.name in {"SOURCES.tsv", "NOTE.txt"}:
                continue
            relative = file.relative_to(source)
            name = relative.as_posix().split("__")[-1] if "__" in relative.name else relative.as_posix()
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target / name)
        card = target / "README.md"
        if not card.exists():
            card.write_text("---\nlicense: mit\n---\n# Model\n", encoding="utf-8")
        folders.append(target)
    return folders


def run(label: str, command: list[str], out: Path, work: Path, codes: list[str]) -> None:
    env = child_environment(work / "pycache")
    env["NO_COLOR"] = "1"
    done = subprocess.run([sys.executable, "-m", "cardguard", *command], capture_output=True, env=env,
                          cwd=work, text=True, errors="replace")
    text = (done.stdout + "\n--- stderr ---\n" + done.stderr)
    text = text.replace(str(CORPUS), "<corpus>").replace(str(work), "<work>")
    (out / f"{label}.txt").write_text(text, encoding="utf-8")
    codes.append(f"{label}: {done.returncode}")


def audit(label: str, folder: Path, out: Path, work: Path, codes: list[str]) -> None:
    """``audit --jobs 1`` over ``folder``: its log and its outputs but the cache (whose keys hold
    the temporary folder's path), the wall-clock parts masked."""
    report = work / label
    run(label, ["audit", "--jobs", "1", "--out", str(report), str(folder)], out, work, codes)
    for name in ("results.jsonl", "summary.md", "report.html"):
        if (report / name).is_file():
            text = (report / name).read_text(encoding="utf-8", errors="replace")
            (out / f"{label}-{name}").write_text(masked(text, work), encoding="utf-8")
    log = out / f"{label}.txt"
    log.write_text(masked(log.read_text(encoding="utf-8"), work), encoding="utf-8")


def masked(text: str, work: Path) -> str:
    return VOLATILE.sub("<volatile>", text.replace(str(work), "<work>"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write into (made empty first)")
    args = parser.parse_args(argv)
    if not CARDS.is_dir():
        print(f"no corpus at {CORPUS}: nothing to compare", file=sys.stderr)
        return 2
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    cards = [str(path) for path in sorted(CARDS.glob("*.md"))]
    codes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cardguard-golden-") as scratch:
        work = Path(scratch)
        for profile in ("auto", "hub", "minimal"):
            run(f"validate-{profile}-json", ["validate", "--profile", profile, "--format", "json",
                                             *NO_TIME_BUDGET, *cards], args.out, work, codes)
        run("validate-sarif", ["validate", "--format", "sarif", *NO_TIME_BUDGET, *cards], args.out, work, codes)
        run("validate-text", ["validate", *NO_TIME_BUDGET, *cards], args.out, work, codes)
        run("check-json", ["check", "--format", "json", *NO_TIME_BUDGET, *cards], args.out, work, codes)
        run("check-text", ["check", *NO_TIME_BUDGET, *cards], args.out, work, codes)
        for folder in rebuild_artifacts(work):
            name = folder.name
            run(f"artifact-{name}-check", ["check", "--format", "json", *NO_TIME_BUDGET, str(folder / "README.md")],
                args.out, work, codes)
            run(f"artifact-{name}-facts", ["facts", "--format", "json", str(folder)], args.out, work, codes)
            run(f"artifact-{name}-sync-check", ["sync", "--check", str(folder / "README.md")], args.out, work, codes)
        fleet = work / "fleet"
        for number, card in enumerate(cards):
            (fleet / f"card{number:04d}").mkdir(parents=True)
            shutil.copyfile(card, fleet / f"card{number:04d}" / "README.md")
        for label, folder in (("audit-models", work / "models"), ("audit-fleet", fleet)):
            audit(label, folder, args.out, work, codes)
    (args.out / "exit-codes.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    print(f"wrote {len(codes)} outputs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
