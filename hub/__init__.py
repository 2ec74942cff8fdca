"""The mpp-hub application: the `mpphub` CLI, the hub HTTP API and the coordinators' dashboard."""
