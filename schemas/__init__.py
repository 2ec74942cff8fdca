"""The contracts, language-neutral (JSON Schema, OpenAPI). Python code reads the JSON files beside this
one; this module exists only so that a non-editable install ships them next to ``registry``."""
