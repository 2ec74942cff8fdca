"""Synthetic test data for service packages: values for form ``pattern``s, Indonesian identities (NIK, KK,
phone, name, address) and whole forms valid for a package's form schema.

Core dependencies only (no Faker), so that production commands (``mpphub check --write``) can make a test
application, and the sandbox's simulators use the same generator: ``registry.synthetic.forms`` takes a
``NameSource`` -- plain fixed lists by default, Faker's ``id_ID`` provider in the sandbox (``sandbox[...]``
extra). Pure like the rest of ``registry/``: no network, no database.
"""
