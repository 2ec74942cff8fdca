"""The spec side of mpp-hub: load, validate, index and diff service packages; the region table.

Pure: no network, no database, no Airflow. Everything else in the hub reads packages through here.
"""
