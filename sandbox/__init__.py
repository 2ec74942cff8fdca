"""Reference national layer and simulated local systems for demo, tests, benchmarks and dry runs."""
