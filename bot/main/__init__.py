"""The composition root: configuration, wiring of the services, the CLI, HTTP and Socket Mode serving, doctor.

The only part of `bot/` that may reach `storage/` and the adapters directly: it builds what the rest is handed.
"""
