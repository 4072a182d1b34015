"""Persistence: the schema, opening and migrating a database, and the queries on it."""
