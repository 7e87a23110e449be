"""cardguard: keep Hugging Face model cards valid and true to their checkpoint.

The package's parts, each a subpackage whose docstring says what it owns and what it may
import (docs/architecture.md draws them). Data flows one way::

    cli, integrations -> run -> (rules, edit, report) -> expect -> settings -> (card, artifacts) -> ground

The ground floor is the modules at the top of the package that every part may use: findings
(the Finding type), codes (the rule table), lines (the one line model), safe_paths (the only
way files are opened), escape, shown, budget, child_process, resources, record, limits and data.

Ground modules: findings, codes, lines, safe_paths, escape, shown, budget, child_process,
resources, record, limits.
May import: ground.
"""

__version__ = "0.1.0"
