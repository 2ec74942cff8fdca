"""The ledger: the hub's durable record of what was moved, where, when and with which result.

Transactional inbox/outbox: a cursor advances only in the transaction that stores what was read;
deliveries and pushes go through explicit states so that a crash at any instant resumes without loss
or duplicates. SQLite for the embedded default, PostgreSQL in production (several workers at once).
"""
