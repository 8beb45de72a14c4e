"""Central's exports (docs/exports.md): de-identified facts or full decrypted records, as CSV,
XLSX or a password-protected zip, produced row by row and audited before a byte leaves."""
