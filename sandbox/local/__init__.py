"""Simulated local systems: faithful stand-ins for regions' own software (demo, connector tests, crash
drills, benchmarks, regional teams' dry runs).

Five styles, each serving every sample package of its style exactly as the package declares it:

- ``rest_indonesian`` — REST/JSON with Indonesian names, page-number pagination, bearer auth, honours
  ``Idempotency-Key`` (Dispendukcapil / Bakesbangpol / Disdikbud / Disnaker of Kota Mojokerto);
- ``rest_cursor`` — REST/JSON with cursor or Link-header pagination, basic auth or an API key, does NOT
  honour idempotency keys but finds an application by its national id (SIMPEL, SSW Alfa, Klampid,
  e-Perizinan Jatim);
- ``sql_tables`` — no API: tables and views in a real PostgreSQL or MariaDB database;
- ``rest_form`` — the regional PHP style: form posts with bracket names, every answer HTTP 200 with a
  ``status`` envelope (refusals, a wrong API key, "busy" inside it), the API key in the query, status
  feeds in ``dd-mm-yyyy HH:MM:SS`` WIB per service or for the whole region (SIPINTER Kabupaten Jember).
- ``soap_service`` — a SOAP 1.1 web service (XML over HTTP, basic auth, faults at HTTP 500), no
  idempotency keys but a lookup by national id, feeds paged by sequence number (SIMPATI Kabupaten
  Lumajang, the ``soap`` kind).

Simulated officers move applications through each package's local status codes (``officers``) and
create walk-in applications; every server reports what it holds at ``GET /_sandbox/truth``.
"""
