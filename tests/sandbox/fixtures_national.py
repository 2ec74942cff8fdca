"""pytest fixtures that start the sandbox national layer (registered in tests/conftest.py)."""
