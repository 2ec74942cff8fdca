"""pytest fixtures that start the simulated local systems (registered in tests/conftest.py)."""
