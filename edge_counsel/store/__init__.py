"""The encrypted store: the SQLCipher connection and its repositories, migrations and keys.

Only services open or query the store; views never import it.
"""
