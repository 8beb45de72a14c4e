"""Exports at central: CSV and XLSX of the records a coordinator may see (docs/exports.md)."""
