"""Use cases, one owner each: the conversation, journal, mood, exercises, suggestions, safety plan,
kiosk visits and unlocking.

Every front end (the window, the kiosk, the terminal) calls these; they call safety, store and
engine, and never import Qt.
"""
