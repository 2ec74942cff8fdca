"""The mpp-hub application: the `mpphub` CLI (and later the HTTP API and dashboard)."""
