"""Record and replay conversations: scripts, a runner over the control API, export, diffs.

Modules: ``script`` (parse and validate YAML scripts, with line numbers), ``expect`` (matching a
bot's message against an expectation), ``diff`` (expected against actual, readable), ``session``
(a control-API client that follows one user's conversation), ``runner`` (runs scripts, prints a line
per step, writes JUnit), ``export`` (a conversation or a traffic log as a script), ``server`` (an
emulator in a background thread), ``testing`` (the helpers of the pytest plugin), ``cli`` (the
``replay`` and ``record`` subcommands).
"""
