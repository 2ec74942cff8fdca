"""Reference national layer and simulated local systems for demo, tests and dry runs (issue 3)."""
