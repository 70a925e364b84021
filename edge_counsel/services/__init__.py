"""Use cases, one owner each: the conversation, journal, mood, exercises, suggestions, safety plan,
history, kiosk visits and unlocking.

Every front end (the window, the kiosk, the terminal) calls these; they call safety, store and
engine, and never import Qt. The window's pages get the store-bound ones together from
``bundle.Services.for_store(store)`` and never import the store themselves.
"""
