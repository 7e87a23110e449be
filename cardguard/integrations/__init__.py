"""The doors other tools open: the GitHub Action, plain git hooks, pre-commit.

action.py is the Action's run step (``python -m cardguard.integrations.action``): inputs from
the environment, annotations, the job summary, SARIF; install_hooks.py writes the plain git
hooks (``cardguard install-hooks``); hookfiles.py holds the file patterns that send a commit's
changed files to the hooks; transformers.py is the TrainerCallback that stops Trainer's
``push_to_hub`` while its card fails (the one module that imports transformers). Each goes
through the public API (cardguard/api.py), as the CLI does: the Action and the callback call
``cardguard.check`` / ``cardguard.validate``, and the hooks run the CLI.
The API is a door (its package's top): ``door`` below names it.

May import: door, run, rules, edit, report, expect, settings, card, artifacts, ground.
"""
