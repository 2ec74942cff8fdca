"""The sandbox national layer: a faithful stand-in for the national MPP Digital platform.

It implements the hub's national contract (``schemas/national-api.openapi.json``) over SQLite, behind the
sandbox fault knobs, and exposes the truth (``GET /_sandbox/truth``) that tests compare the hub with.
``create_app`` lives in ``sandbox.national.app``; the citizen simulator in ``sandbox.national.citizens``.
"""
