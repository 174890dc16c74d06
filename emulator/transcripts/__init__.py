"""Conversations as data: what a record says (``records``) and a conversation as a replay script (``export``).

Shared by the control API and replay; imports neither (nor the domain), so replay stays a pure
client of the control API and the control API needs no replay code.
"""
