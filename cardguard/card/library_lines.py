"""The lines a library wrote into a section: what ``sync --add-missing`` adopts into a region.

Adoption wraps exactly these lines in markers and nothing else: the author's prose, images and
rows or bullets of their own around them stay outside the region, byte for byte. Each finder
knows the exact shape one generator writes (card-generators.md §1.2, §1.5, §1.6, §2.4, §3.1, §4,
and cardguard's own templates). A block that cannot be told apart from the author's text (a
Trainer table with a row of the author's own in it) is not adopted at all: splitting a table or
taking the author's row would change what the card says.

A finder takes a section's lines and, per line, whether it is live Markdown
(:func:`cardguard.card.markdown.live_lines`), and returns the first and last index of the block.
"""

from __future__ import annotations

import re
from typing import Callable

from cardguard.card.markdown import CODE, FENCE, line_kinds

Block = tuple[int, int]  # first and last index (inclusive) into the lines given
Finder = Callable[[list[str], list[bool]], Block | None]

TRAINER_HYPERPARAMETERS_SENTENCE = "The following hyperparameters were used during training:"
TRAINER_RESULTS_SENTENCE = "It achieves the following results on the evaluation set:"
# Trainer's extract_hyperparameters_from_trainer, 4.x and 5.x (card-generators.md §1.5).
TRAINER_HYPERPARAMETER_KEYS = frozenset({
    "learning_rate", "train_batch_size", "eval_batch_size", "seed", "distributed_type", "num_devices",
    "gradient_accumulation_steps", "total_train_batch_size", "total_eval_batch_size", "optimizer",
    "lr_scheduler_type", "lr_scheduler_warmup_ratio", "lr_scheduler_warmup_steps", "training_steps", "num_epochs",
    "mixed_precision_training", "label_smoothing_factor",
})
# "- Name version" (Trainer, PEFT) and "- Name: version" (sentence-transformers, TRL).
FRAMEWORK_NAMES = frozenset({
    "Transformers", "Pytorch", "PyTorch", "Datasets", "Tokenizers", "TensorFlow", "PEFT", "Python",
    "Sentence Transformers", "Accelerate", "TRL",
})
TRAINER_TABLE_HEAD = ("Training Loss", "Epoch", "Step", "Validation Loss")
MODEL_SUMMARY_LABELS = frozenset({"Architecture", "Parameters", "Tensor type", "Context length", "Vocabulary size",
                                  "Base model", "Language(s)"})
PEFT_ADAPTER_LABELS = frozenset({"PEFT type", "Task type", "Base model", "Rank (r)", "LoRA alpha", "LoRA dropout",
                                 "Target modules", "Adapter parameters", "PEFT version"})
HUB_TEMPLATE_GET_STARTED = ("Use the code below to get started with the model.", "[More Information Needed]")
PLACEHOLDER_LINES = frozenset({"[More Information Needed]", "More information needed"})

_KEY_VALUE = re.compile(r"^- (?P<key>[A-Za-z_][\w ]*?): (?P<value>.*\S)\s*$")
_VERSION = re.compile(r"^- (?P<name>[A-Za-z][\w .-]*?)(?::)? (?P<version>\S+)\s*$")
_BOLD_LABEL = re.compile(r"^- \*\*(?P<label>[^*]+?):\*\* \S")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$|^nan$|^-?inf$", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(\w*)\s*$")


# -- lists: a run of lines of a known shape, blank lines allowed between them ------------------

def _run(lines: list[str], live: list[bool], owns: Callable[[str], bool], first: int = 0) -> Block | None:
    """The first run of owned live lines from ``first``, blank lines inside it allowed."""
    start = next((i for i in range(first, len(lines)) if live[i] and owns(lines[i])), None)
    if start is None:
        return None
    end = start
    for index in range(start + 1, len(lines)):
        if not lines[index].strip():
            continue
        if not (live[index] and owns(lines[index])):
            break
        end = index
    return start, end


def hyperparameter_lines(lines: list[str], live: list[bool]) -> Block | None:
    """Trainer's sentence and its ``- key: value`` list; its placeholder when it had none."""
    block = _run(lines, live, _is_hyperparameter_line)
    if block is None:
        return _run(lines, live, lambda line: line.strip() in PLACEHOLDER_LINES)
    start, end = block
    if lines[end].rstrip().endswith("and the args are:") and end + 1 < len(lines) and lines[end + 1].strip():
        end += 1  # a non-Adam optimizer's args are printed on the next line
    return start, end


def _is_hyperparameter_line(line: str) -> bool:
    if line.strip() == TRAINER_HYPERPARAMETERS_SENTENCE:
        return True
    match = _KEY_VALUE.match(line.rstrip())
    return match is not None and match.group("key") in TRAINER_HYPERPARAMETER_KEYS


def eval_result_lines(lines: list[str], live: list[bool]) -> Block | None:
    """Trainer's "It achieves ..." sentence and the ``- Name: number`` lines right under it."""
    for index, line in enumerate(lines):
        if live[index] and line.strip() == TRAINER_RESULTS_SENTENCE:
            end = index
            while end + 1 < len(lines) and live[end + 1] and _is_metric_line(lines[end + 1]):
                end += 1
            return index, end
    return None


def _is_metric_line(line: str) -> bool:
    match = _KEY_VALUE.match(line.rstrip())
    return match is not None and _NUMBER.match(match.group("value")) is not None


def framework_version_lines(lines: list[str], live: list[bool]) -> Block | None:
    def owns(line: str) -> bool:
        match = _VERSION.match(line.strip())
        return match is not None and match.group("name") in FRAMEWORK_NAMES
    return _run(lines, live, owns)


def _bold_label_finder(labels: frozenset[str]) -> Finder:
    def owns(line: str) -> bool:
        match = _BOLD_LABEL.match(line)
        return match is not None and match.group("label") in labels

    def find(lines: list[str], live: list[bool]) -> Block | None:
        return _run(lines, live, owns)
    return find


model_summary_lines = _bold_label_finder(MODEL_SUMMARY_LABELS)
peft_adapter_lines = _bold_label_finder(PEFT_ADAPTER_LABELS)


# -- tables: the whole table, or nothing ---------------------------------------------------------

def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_finder(head: tuple[str, ...], row_ok: Callable[[list[str], list[str]], bool]) -> Finder:
    """A table whose header starts with ``head``; None if any row is not the library's."""
    def find(lines: list[str], live: list[bool]) -> Block | None:
        for start, line in enumerate(lines):
            if live[start] and line.lstrip().startswith("|") and tuple(_cells(line)[:len(head)]) == head:
                return _whole_table(lines, live, start, row_ok)
        return None
    return find


def _whole_table(lines: list[str], live: list[bool], start: int,
                 row_ok: Callable[[list[str], list[str]], bool]) -> Block | None:
    header = _cells(lines[start])
    end = start
    while end + 1 < len(lines) and live[end + 1] and lines[end + 1].lstrip().startswith("|"):
        end += 1
    if end == start or not set(lines[start + 1].replace("|", "").strip()) <= set(":- "):
        return None  # no alignment row: not a table the library wrote
    rows = [_cells(lines[index]) for index in range(start + 2, end + 1)]
    return (start, end) if all(row_ok(header, row) for row in rows) else None


def _trainer_row(header: list[str], row: list[str]) -> bool:
    """Trainer's row (make_markdown_table): one cell per column, every cell a number, the
    training loss "No log" before the first logged loss."""
    cells = row[1:] if row and row[0] == "No log" else row
    return len(row) == len(header) and all(_NUMBER.match(cell) for cell in cells)


def _label_row(header: list[str], row: list[str]) -> bool:
    return len(row) == 2 and row[0].lstrip("-").isdigit()


training_results_lines = _table_finder(TRAINER_TABLE_HEAD, _trainer_row)
label_lines = _table_finder(("ID", "Label"), _label_row)


# -- code blocks ---------------------------------------------------------------------------------

def _fenced_block(lines: list[str], first_line: Callable[[str, str], bool]) -> Block | None:
    """The first fenced code block whose info string and first line ``first_line(info, line)``
    accepts. One pass; a fence left open runs to the end, so the search ends there."""
    kinds = line_kinds(lines)
    start = 0
    while start < len(lines):
        if kinds[start] != FENCE:
            start += 1
            continue
        end = start + 1
        while end < len(lines) and kinds[end] == CODE:
            end += 1
        last = end - 1
        opening = _FENCE.match(lines[start])
        if last == start or not _closes(lines[last], opening.group(1) if opening else "```"):
            return None
        if opening is not None and first_line(opening.group(2), lines[start + 1] if start + 1 < last else ""):
            return start, last
        start = end
    return None


def _closes(line: str, fence: str) -> bool:
    closing = line.strip()
    return closing.startswith(fence) and not closing.strip(fence[0])


def st_architecture_lines(lines: list[str], live: list[bool]) -> Block | None:
    """sentence-transformers' ``str(model)`` block: ``SentenceTransformer(`` opens it."""
    return _fenced_block(lines, lambda info, line: re.fullmatch(r"\w+\(", line.strip()) is not None)


def get_started_lines(lines: list[str], live: list[bool]) -> Block | None:
    """cardguard's Python snippet, or the Hub template's sentence and placeholder."""
    snippet = _fenced_block(lines, lambda info, line: info == "python")
    if snippet is not None:
        return snippet
    return _run(lines, live, lambda line: line.strip() in HUB_TEMPLATE_GET_STARTED)
