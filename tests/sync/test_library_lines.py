"""library_lines: exactly the lines a library wrote under a heading, never the author's."""

from __future__ import annotations

import pytest

from cardguard.card import library_lines as lib
from cardguard.card.markdown import live_lines

TABLE = ["| Training Loss | Epoch | Step | Validation Loss |", "|:---:|:---:|:---:|:---:|",
         "| No log | 1.0 | 6 | 0.9 |", "| 0.8668 | 2.0 | 12 | 0.84 |"]

CASES = [
    ("hyperparameters", lib.hyperparameter_lines,
     ["", "Words.", "", lib.TRAINER_HYPERPARAMETERS_SENTENCE, "- learning_rate: 0.003", "- seed: 0",
      "- my_note: mine", "- num_epochs: 2"], (3, 5)),
    ("non-adam optimizer args", lib.hyperparameter_lines,
     ["- seed: 0", "- optimizer: Use sgd and the args are:", "momentum=0.9", "", "Mine."], (0, 2)),
    ("hyperparameters placeholder", lib.hyperparameter_lines, ["", "More information needed", ""], (1, 1)),
    ("results table", lib.training_results_lines, ["![plot](p.png)", "", *TABLE, "", "Mine."], (2, 5)),
    ("table with the author's row", lib.training_results_lines, [*TABLE, "| best | 2.0 | 12 | see plot |"], None),
    ("table without alignment row", lib.training_results_lines, [TABLE[0], TABLE[2]], None),
    ("labels", lib.label_lines, ["Mine.", "| ID | Label |", "|---:|:------|", "| 0 | neg |", "Mine."], (1, 3)),
    ("framework versions", lib.framework_version_lines,
     ["- PEFT 0.21.2", "- Transformers 5.24.0", "- Python: 3.11.7", "- My laptop 2"], (0, 2)),
    ("eval results", lib.eval_result_lines,
     ["Intro.", lib.TRAINER_RESULTS_SENTENCE, "- Loss: 0.8448", "- F1: nan", "- Note: mine"], (1, 3)),
    ("architecture", lib.st_architecture_lines,
     ["```", "print(1)", "```", "```", "SentenceTransformer(", ")", "```"], (3, 6)),
    ("hub template get-started", lib.get_started_lines,
     ["Mine.", "", *lib.HUB_TEMPLATE_GET_STARTED[:1], "", lib.HUB_TEMPLATE_GET_STARTED[1]], (2, 4)),
    ("list inside a fence is the author's", lib.framework_version_lines, ["```", "- Transformers 5.24.0", "```"], None),
    ("list inside a comment is the author's", lib.label_lines,
     ["<!--", "| ID | Label |", "|---:|:------|", "| 0 | neg |", "-->"], None),
    ("architecture inside a comment is the author's", lib.st_architecture_lines,
     ["<!--", "", "```", "SentenceTransformer(", ")", "```", "-->"], None),
    ("unclosed fence ends the search", lib.st_architecture_lines, ["````", "```", "SentenceTransformer(", ")"], None),
]


@pytest.mark.parametrize(("finder", "lines", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_finder_takes_only_the_library_lines(finder: lib.Finder, lines: list[str], expected: tuple[int, int] | None
                                             ) -> None:
    assert finder(lines, live_lines(lines)) == expected
