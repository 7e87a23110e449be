"""Reports: findings written as text, JSON, GitHub workflow commands or SARIF.

formats.py holds text, json and github and picks a format; sarif.py writes SARIF 2.1.0;
rules_doc.py renders the rule table (docs/rules.md, ``cardguard rules``); audit_summary.py
the Markdown summary of an audit; progress.py shows an audit's progress on the stream the CLI
hands it (a tqdm bar on a terminal, plain lines in a log). A new output format is a new module
here; audit_html.py writes an audit's report.html (one self-contained page); results_line.py
says what one line of an audit's results.jsonl means (whether its repo fails). Every string of
a finding may come from a hostile pull request: each format escapes through cardguard.escape.
Formatting only: nothing here reads files, and the one file written is report.html, atomically
(progress.py writes only to the stream it is given).

May import: ground.
"""
