"""Launchers: the desktop app and the counseling-room kiosk, each a short start-up sequence.

May import every layer below; nothing imports it except the command line.
"""
