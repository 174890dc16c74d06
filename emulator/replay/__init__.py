"""Record and replay conversations: a pure client of the control API (it imports nothing of the domain).

Modules: ``script`` (parse and validate YAML scripts, with line numbers), ``expect`` (matching a
bot's message against an expectation), ``diff`` (expected against actual, readable), ``session``
(a control-API client that follows one user's conversation), ``runner`` (runs one script, a line
per step), ``suite`` (many scripts: ``-k``, ``--fail-fast``, the summary), ``junit`` (the report),
``output`` (what the replay prints, and the bot's lines apart), ``bot`` (the bot as a child
process), ``traffic`` (a traffic log as a script), ``server`` (an emulator in a background
thread), ``testing`` (the helpers of the pytest plugin), ``cli`` (the ``replay`` and ``record``
subcommands). A conversation as a script is ``emulator.transcripts``, shared with the control API.
"""
