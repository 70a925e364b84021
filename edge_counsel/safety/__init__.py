"""The crisis safety net: risk detection, the safety dialogue, the output guard, crisis replies,
hotlines and the AI disclosure.

Nothing here imports the engine, the store or Qt: the net works with no model loaded and no
window, and runs before any model sees a message.
"""
