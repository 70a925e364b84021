"""The ``edge-counsel`` command and its sub-commands (chat, check-risk, journal, history, ...).

Commands parse arguments and call services; they never import Qt.
"""
