"""Cross-cutting web concerns: who may open which route, response headers, error pages."""
