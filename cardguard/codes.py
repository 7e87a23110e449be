"""Every rule cardguard knows, in one place.

Codes are stable: once released, a code keeps its meaning forever (retired codes are never
reused). ``docs/rules.md`` is generated from this table (``python -m cardguard.report.rules_doc > docs/rules.md``) and a
test keeps the two in step.

Ranges:
    CG000  an internal error on one card (reported, and the run goes on)
    CG0xx  reading the card: file, encoding, front matter, YAML
    CG1xx  metadata against the Hub's rules
    CG2xx  sections of the Markdown body
    CG3xx  checkpoint artifacts (facts)
    CG4xx  generated regions and drift
    CG5xx  configuration and inline directives
"""

from __future__ import annotations

from cardguard.findings import Finding, Severity
from cardguard.record import Record


class Rule(Record, frozen=True):
    code: str
    name: str
    severity: Severity
    summary: str
    # True: the Hub rejects a push for it; False: the Hub accepts it (perhaps ignoring the
    # value); None: not known from public sources.
    hub_rejects: bool | None = False


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_RULES: tuple[Rule, ...] = (
    # -- CG0xx: reading the card ------------------------------------------------------------
    Rule("CG000", "internal-error", E, "cardguard failed on this card (a bug: please report it); the card was not checked or written, and the run went on to the next card.", None),
    Rule("CG001", "unreadable-file", E, "The card or artifact cannot be read (missing, a directory, a FIFO, no permission).", None),
    Rule("CG002", "not-utf8", E, "The card is not UTF-8 text (binary or another encoding).", True),
    Rule("CG003", "no-front-matter", W, "The card has no YAML metadata block; the Hub shows 'empty or missing yaml metadata'.", False),
    Rule("CG004", "unterminated-front-matter", E, "The card opens a `---` metadata block that never closes; the Hub reads no metadata at all.", False),
    Rule("CG005", "yaml-syntax", E, "The metadata block is not valid YAML.", True),
    Rule("CG006", "metadata-not-mapping", E, "The metadata block is YAML but not a mapping of keys to values.", True),
    Rule("CG007", "duplicate-key", E, "A metadata key appears twice in one mapping; the Hub keeps only one of them.", True),
    Rule("CG008", "unsafe-yaml-tag", E, "A YAML tag such as `!!python/object` that safe loaders refuse; never constructed.", True),
    Rule("CG009", "resource-limit", E, "Input exceeds a resource bound (size, nesting depth, alias expansion, a count inside an artifact, the run's time budget); see docs/security.md.", None),
    Rule("CG010", "yaml-1.1-coercion", W, "An unquoted scalar that YAML 1.1 turns into another type (`no` -> false, `3.10` -> 3.1); quote it.", False),
    Rule("CG011", "empty-metadata", W, "The metadata block is empty; the Hub shows 'empty or missing yaml metadata'.", False),
    Rule("CG012", "front-matter-not-first", E, "A `---` metadata block appears after other text; the Hub only reads one at the very top.", False),
    Rule("CG013", "front-matter-delimiter", E, "A line meant to open or close the metadata block is a near miss of `---` the Hub does not accept, so it drops the metadata (or reads on into the body): trailing spaces or tabs after the opening `---` (allowed after the closing one only), two or four or more dashes (`----`), text after the dashes (`---hello`, `--- license: mit`), dash look-alikes (`———`, `–––`), an indented closing `---`, a closing `...`, a closing `---` ended by a lone CR.", False),
    Rule("CG014", "yaml-rejected-by-hub-loader", E, "The metadata is YAML that libyaml accepts but PyYAML's pure-Python loader rejects; huggingface_hub (`ModelCard.load`, `metadata_load`) loads cards with it and fails: a tab where a token starts (`key:<TAB>value`, a tab after a value), a byte order mark (U+FEFF) inside the block, a block scalar header followed by `#` or a tab (`|#`), a `?` inside a plain scalar in `[...]` or `{...}`. Blocks over 256 KiB are not compared.", None),
    # -- CG1xx: metadata ----------------------------------------------------------------------
    Rule("CG101", "invalid-license", E, "`license` is not one of the Hub's licence ids.", True),
    Rule("CG102", "license-other-incomplete", W, "`license: other` without `license_name` and `license_link`.", False),
    Rule("CG103", "invalid-language", W, "A `language` entry is not an ISO 639 code (or `multilingual`, `code`).", None),
    Rule("CG104", "unknown-library-name", W, "`library_name` is not a library the Hub knows; the model page loses its integration.", False),
    Rule("CG105", "invalid-pipeline-tag", E, "`pipeline_tag` is not a Hub task; the Hub ignores it silently.", False),
    Rule("CG106", "removed-pipeline-tag", W, "`pipeline_tag` is a task the Hub has removed (`conversational`, `text2text-generation`).", False),
    Rule("CG107", "missing-license", W, "The metadata has no `license`.", False),
    Rule("CG108", "missing-library-name", W, "The metadata has no `library_name`; required for repos created after August 2024.", False),
    Rule("CG109", "invalid-type", E, "A metadata value has the wrong type or shape for the Hub (string, list, number, object).", True),
    Rule("CG110", "invalid-model-index", E, "`model-index` is missing a required part (name, results, task, metrics, a metric's type or value) or has a part of the wrong type.", True),
    Rule("CG111", "empty-model-index-results", W, "`model-index` has an empty `results` list (Trainer writes it when it was given no `dataset_tags` or logged no metric it knows).", False),
    Rule("CG112", "near-miss-key", W, "A metadata key is a near miss of a known one (`licence`, `pipeline-tag`, `model_index`).", False),
    Rule("CG113", "invalid-base-model", E, "`base_model` (or `new_version`) is not a Hub model id (a local path, a URL, an empty string).", True),
    Rule("CG114", "invalid-dataset-id", E, "A `datasets` entry is not a Hub dataset id (a local path, a URL).", True),
    Rule("CG115", "invalid-enum-value", E, "A metadata value is not one of the values the Hub documents for its key.", None),
    Rule("CG116", "invalid-eval-results-file", E, "A `.eval_results/*.yaml` file does not follow the Hub's evaluation-results format.", None),
    Rule("CG117", "organisation-schema", E, "The metadata breaks the organisation's own JSON Schema (configured `schema`).", False),
    Rule("CG118", "model-index-result-without-dataset", W, "A `model-index` result has no `dataset`: the Hub shows it, but huggingface_hub cannot load the card (spaCy writes such results).", False),
    Rule("CG119", "model-index-split-none", W, "A `model-index` result's dataset `split` is the text `None`: transformers writes it for an evaluation dataset without a split, and the Hub shows a split named None.", False),
    # -- CG2xx: sections ----------------------------------------------------------------------
    Rule("CG201", "missing-section", E, "A section the profile requires is missing.", False),
    Rule("CG202", "empty-section", E, "A required section has a heading but no content.", False),
    Rule("CG203", "placeholder", E, "Template placeholder text is still in the card (`[More Information Needed]`, `More information needed`).", False),
    Rule("CG204", "template-instruction", W, "The template's instructions to the author are still in the card.", False),
    Rule("CG205", "unrendered-template", E, "Unrendered template syntax (`{{ ... }}`, `{% ... %}`) is in the card.", False),
    Rule("CG206", "empty-body", W, "The card has metadata but no Markdown body.", False),
    # -- CG3xx: checkpoint artifacts ----------------------------------------------------------
    Rule("CG301", "invalid-json-artifact", E, "A JSON artifact (config.json, trainer_state.json, an index …) is not UTF-8 JSON, is nested too deeply, or is not the expected shape.", False),
    Rule("CG302", "invalid-safetensors-header", E, "A safetensors file is truncated, or its header is not a JSON object of valid tensor entries (dtype, shape, data_offsets).", False),
    Rule("CG303", "safetensors-header-too-large", E, "A safetensors header length is larger than the file or than the format's 100 MB limit.", False),
    Rule("CG304", "safetensors-offsets-invalid", E, "A tensor's data_offsets run past the end of the file or overlap another tensor's.", False),
    Rule("CG305", "missing-shard", E, "A weights index names a shard file that is not in the repo.", False),
    Rule("CG306", "index-shard-mismatch", E, "A tensor is in the weights index but not in its shard, or in a shard but not in the index.", False),
    Rule("CG307", "path-escapes-repo", E, "A path is absolute or contains `..`, or a symlink on the way to a file resolves outside the repository (for artifacts: the model folder), into `.git`, or (in a git work tree) to a file git does not track or a folder it ignores; it is not read or written.", False),
    Rule("CG308", "lfs-pointer", I, "The file is a Git LFS pointer (content not available locally); facts use the pointer's size.", False),
    Rule("CG309", "unsafe-pickle", E, "A pickled file names a global outside cardguard's allowlist (code could run on load); it was refused and nothing ran.", False),
    Rule("CG310", "invalid-torch-file", E, "A pickled torch file (.bin) is not a readable torch archive or its pickle is corrupt.", False),
    Rule("CG311", "artifact-too-large", W, "An artifact exceeds cardguard's size bound for its kind and was not read; see docs/security.md.", False),
    Rule("CG312", "malformed-artifact", W, "An artifact is readable but a field has the wrong type or a required column is missing; that fact is skipped.", False),
    Rule("CG313", "artifacts-disagree", W, "Two artifacts of one folder contradict each other (trainer_state.json's last evaluation vs eval_results.json, its train_batch_size vs training_args.bin, a metric of all_results.json vs its split's results file): files of different training runs were mixed; cardguard cannot tell which one is right.", False),
    # -- CG4xx: generated regions and drift ---------------------------------------------------
    Rule("CG401", "unknown-region", E, "A `<!-- cardguard:begin NAME -->` marker names a region cardguard does not know; `sync` writes nothing.", False),
    Rule("CG402", "unbalanced-region-marker", E, "A region marker is malformed, has no matching end or begin, or closes another region; `sync` writes nothing.", False),
    Rule("CG403", "nested-region", E, "A generated region begins inside another one; regions cannot nest; `sync` writes nothing.", False),
    Rule("CG404", "duplicate-region", E, "The same generated region appears twice; `sync` writes nothing.", False),
    Rule("CG405", "region-drift", E, "A generated region no longer matches the checkpoint (retrained, or edited by hand); `cardguard sync` rewrites it.", False),
    Rule("CG406", "missing-region", E, "A region the configuration requires (`required-regions`) is not in the card (Trainer's push_to_hub rewrites the whole README).", False),
    Rule("CG407", "template-error", E, "A section template failed: an undefined name, a sandbox violation, or its time or size bound.", False),
    Rule("CG408", "managed-metadata-drift", E, "A metadata key cardguard manages (`managed-keys`) differs from what the checkpoint says; `cardguard sync` rewrites it.", False),
    Rule("CG409", "metadata-edit-refused", W, "A managed metadata value is written in a form cardguard cannot edit in place safely (multi-line, anchors); left as it is.", False),
    Rule("CG410", "base-model-drift", E, "`base_model` differs from the base model the checkpoint names (`_name_or_path`, the adapter's base model).", False),
    Rule("CG411", "library-name-drift", E, "`library_name` differs from what the artifacts are (adapter_config.json: peft; modules.json: sentence-transformers).", False),
    Rule("CG412", "pipeline-tag-drift", W, "`pipeline_tag` does not fit the model's head class (e.g. `*ForSequenceClassification` is text-classification).", False),
    Rule("CG413", "metric-drift", E, "A `model-index` metric value differs from the results files (*_results.json) beyond the card's printed precision.", False),
    Rule("CG414", "parameter-count-drift", E, "The parameter count stated in the card differs from the weights.", False),
    Rule("CG415", "dtype-drift", W, "The tensor type stated in the card differs from the weights' dtype.", False),
    Rule("CG416", "labels-drift", E, "The labels listed in the card differ from the model's id2label.", False),
    Rule("CG417", "eval-results-file-drift", E, "A `.eval_results/*.yaml` entry differs from (or lacks) the results files' value (`eval-results-files = true`); `cardguard sync` writes it.", False),
    Rule("CG418", "edit-refused", E, "`sync` planned an edit that would change what the card says outside the edited text (metadata, headings, regions, code or comment state); nothing is written.", False),
    Rule("CG419", "library-section-drift", E, "A section the library wrote (Trainer's hyperparameters, results list and table, framework versions; sentence-transformers' architecture; PEFT's) has no cardguard markers and no longer matches the checkpoint; `cardguard sync --add-missing` puts it under management.", False),
    Rule("CG420", "figure-drift", E, "A figure a generated region shows (the `training-curves` SVG) is missing or differs from what the checkpoint's logs draw; `cardguard sync` writes it.", False),
    # -- CG5xx: configuration and directives ----------------------------------------------------
    Rule("CG501", "unknown-directive-code", W, "An inline `<!-- cardguard: ... -->` directive names a rule code that does not exist.", False),
    Rule("CG502", "malformed-directive", W, "An inline `<!-- cardguard: ... -->` directive cannot be understood.", False),
    Rule("CG503", "limit-above-ceiling", W, "A configured limit is above its hard ceiling; the ceiling is used (see docs/security.md).", False),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def finding(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str,
    fix: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """Build a Finding with the rule's default severity; a line or column below 1 is 1."""
    rule = RULES[code]
    # Comparisons rather than max(1, line): builtins.max costs more than the rest of this call.
    return Finding(code, rule.severity if severity is None else severity, path, line if line > 1 else 1,
                   column if column > 1 else 1, message, fix)


# -- the long form of a rule, for `cardguard rules CODE` ---------------------------------------

# The rules whose findings can carry a certain fix (Finding.autofix) that `--fix` applies: a
# finding of these rules is fixed only when its fix is certain (see each rule's `fix` below).
FIXABLE: frozenset[str] = frozenset({"CG101", "CG106", "CG110", "CG112", "CG119"})


class Explanation(Record, frozen=True):
    """Why a rule matters, how to fix its findings, and an example (``bad`` -> ``good``)."""

    why: str
    fix: str
    bad: str = ""
    good: str = ""


EXPLANATIONS: dict[str, Explanation] = {
    "CG003": Explanation(
        "Without a metadata block the Hub shows a warning on the model page, and the card has no licence, "
        "library or task the Hub can index.",
        "Add a `---` block at the very top of README.md with at least `license` and `library_name`.",
        "# my-model", "---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# my-model"),
    "CG005": Explanation(
        "The Hub refuses a push whose metadata block is not valid YAML; tools that read the card fail too.",
        "Fix the YAML at the line shown: an unclosed quote or bracket, a tab used for indentation, a `:` in an unquoted value.",
        "license: [apache-2.0", "license: apache-2.0"),
    "CG007": Explanation(
        "YAML loaders keep only one of the two values, and which one differs between tools; the Hub refuses the push.",
        "Remove one of the two keys, keeping the value you mean.",
        "license: mit\nlicense: apache-2.0", "license: apache-2.0"),
    "CG010": Explanation(
        "YAML 1.1 (PyYAML, the Hub's loaders) reads some unquoted words and numbers as other types: "
        "`no` is false, `3.10` is the number 3.1, `1e3` is text or a number depending on the loader.",
        "Quote the value.",
        "language:\n- no", "language:\n- \"no\""),
    "CG101": Explanation(
        "The Hub refuses a push whose `license` is not one of its licence ids, and the model page shows no licence.",
        "Use the Hub id. `--fix` rewrites a value that is one id in another case or form "
        "(`Apache-2.0`, `Apache License, Version 2.0`); a value that is only a close spelling, or that could be "
        "more than one id, is left for you. For a licence the Hub does not list, write `license: other` with "
        "`license_name` and `license_link`.",
        "license: Apache-2.0", "license: apache-2.0"),
    "CG102": Explanation(
        "`license: other` alone does not say which licence applies; the Hub shows 'other' with no link.",
        "Add `license_name` (a short lowercase id) and `license_link` (a file in the repo, or a URL).",
        "license: other", "license: other\nlicense_name: my-licence\nlicense_link: LICENSE"),
    "CG103": Explanation(
        "The Hub filters models by ISO 639 language codes; other values are not found by that filter.",
        "Use a two- or three-letter ISO 639 code (`en`, `fr`, `yue`), or `multilingual`; a region or script "
        "goes in `language_bcp47`.",
        "language: English", "language: en"),
    "CG104": Explanation(
        "The Hub shows code snippets, download counts and the 'Use this model' button only for libraries it knows.",
        "Use a library id from https://huggingface.co/docs/hub/models-libraries; leave it if the library is your own.",
        "library_name: Transformers", "library_name: transformers"),
    "CG105": Explanation(
        "The Hub ignores an unknown `pipeline_tag` silently: the model gets no widget and is not found by task.",
        "Use a task id from https://huggingface.co/tasks.",
        "pipeline_tag: sentiment-analysis", "pipeline_tag: text-classification"),
    "CG106": Explanation(
        "The Hub removed these tasks; a card that still names one gets no widget and is not found by task.",
        "`--fix` writes the one documented successor (`text2text-generation` -> `text-generation`); "
        "`conversational` has two (`text-generation` or `image-text-to-text`, plus the tag `conversational`), "
        "so you choose.",
        "pipeline_tag: text2text-generation", "pipeline_tag: text-generation"),
    "CG107": Explanation(
        "A model without a licence cannot be used safely by others, and the Hub's licence filter does not find it.",
        "Add `license:` with a Hub licence id.",
        "library_name: transformers", "license: apache-2.0\nlibrary_name: transformers"),
    "CG108": Explanation(
        "Since August 2024 the Hub no longer infers the library of a new repo from its files or tags.",
        "Add `library_name:` (transformers, sentence-transformers, peft, diffusers …).",
        "tags:\n- transformers", "library_name: transformers\ntags:\n- transformers"),
    "CG109": Explanation(
        "The Hub refuses metadata whose values have the wrong type (a list where a string belongs, a number "
        "where text belongs).",
        "Write the value in the form the message names; quote numbers and words meant as text.",
        "base_model:\n  name: bert-base-uncased", "base_model: google-bert/bert-base-uncased"),
    "CG110": Explanation(
        "The Hub refuses a `model-index` that misses a required part, and shows no evaluation results from it.",
        "Add the part the message names (name, results, task, dataset, metrics, a metric's type or value). "
        "`--fix` removes a key left empty (null) where a string belongs, as Trainer writes `config: null` when "
        "the dataset has no configuration (the Hub refuses the push), unless the part is required.",
        "model-index:\n- name: my-model\n  results:\n  - task:\n      type: text-classification\n    dataset:\n"
        "      name: imdb\n      type: imdb\n      config: null\n    metrics:\n    - type: accuracy\n      value: 0.75",
        "model-index:\n- name: my-model\n  results:\n  - task:\n      type: text-classification\n    dataset:\n"
        "      name: imdb\n      type: imdb\n    metrics:\n    - type: accuracy\n      value: 0.75"),
    "CG111": Explanation(
        "An empty `results` list shows no evaluation results; Trainer writes it when it lacks a dataset name.",
        "Add results, or remove `model-index`; with Trainer, pass `dataset=` or `dataset_tags=` to push_to_hub.",
        "", ""),
    "CG112": Explanation(
        "The Hub ignores keys it does not know: `licence`, `pipeline-tag` or `model_index` say nothing to it.",
        "Rename the key. `--fix` renames it when the right key is not in the card already, no other key is "
        "a near miss of the same one, and the renamed key adds no error (`licence: license` would be an invalid "
        "licence; an old `model_index` block may not be valid `model-index`).",
        "licence: mit\npipeline-tag: text-classification", "license: mit\npipeline_tag: text-classification"),
    "CG113": Explanation(
        "The Hub links the base model only when `base_model` is a Hub model id; a local path or URL is refused.",
        "Write the Hub id (namespace/name) of the model the checkpoint was trained from.",
        "base_model: /home/me/checkpoints/bert", "base_model: google-bert/bert-base-uncased"),
    "CG114": Explanation(
        "The Hub links datasets only by their Hub id; a local path or URL is refused.",
        "Write the Hub id (namespace/name) of the dataset.",
        "datasets:\n- ./data/train.csv", "datasets:\n- stanfordnlp/imdb"),
    "CG118": Explanation(
        "The Hub shows such a result, but huggingface_hub's ModelCard.load raises on it.",
        "Add `dataset:` with `type:` (the Hub dataset id) and `name:` to the result.", "", ""),
    "CG119": Explanation(
        "transformers writes `str(split)` of the evaluation dataset into model-index; a dataset built in "
        "memory (`Dataset.from_dict`, `from_list`, `from_pandas`) has no split, so the card says `split: None` "
        "and the Hub shows the results under a split named None.",
        "Write the split the evaluation used, or remove the line (`--fix` removes it).",
        "model-index:\n- name: my-model\n  results:\n  - task:\n      type: text-classification\n    dataset:\n"
        "      name: imdb\n      type: imdb\n      split: None\n    metrics:\n    - type: accuracy\n      value: 0.75",
        "model-index:\n- name: my-model\n  results:\n  - task:\n      type: text-classification\n    dataset:\n"
        "      name: imdb\n      type: imdb\n    metrics:\n    - type: accuracy\n      value: 0.75"),
    "CG201": Explanation(
        "The profile (what wrote the card, or your configuration) expects this section; readers look for it.",
        "Add the section, or choose another profile (`--profile`, `profile =` in the configuration).", "", ""),
    "CG202": Explanation(
        "A heading with nothing under it tells the reader nothing.",
        "Write the section, or remove its heading if the profile does not require it.", "", ""),
    "CG203": Explanation(
        "Template placeholders tell the reader the card was never finished.",
        "Replace `[More Information Needed]` with the information, or remove the part.", "", ""),
    "CG205": Explanation(
        "Template syntax left in the card shows as raw braces on the model page.",
        "Render the template, or remove the `{{ … }}` / `{% … %}` text.", "", ""),
    "CG405": Explanation(
        "The region no longer says what the checkpoint says: it was retrained, or the text was edited by hand.",
        "Run `cardguard sync`; edit the text outside the markers if you want to keep words of your own.", "", ""),
    "CG408": Explanation(
        "A managed metadata key no longer matches the checkpoint.",
        "Run `cardguard sync`, or remove the key from `managed-keys` to own it yourself.", "", ""),
    "CG420": Explanation(
        "The figure the `training-curves` region shows is missing, or was drawn from another training log "
        "(a retrain) or edited by hand: the card's picture no longer shows this checkpoint's training.",
        "Run `cardguard sync` (with `pip install 'cardguard[plots]'`) and commit `assets/training_curves.svg`.",
        "", ""),
    "CG418": Explanation(
        "Writing the planned edit would change what the card says outside the edited text; nothing was written.",
        "Look for generated text (a template, a label, a value) that opens a code block, a comment or a marker.",
        "", ""),
}
