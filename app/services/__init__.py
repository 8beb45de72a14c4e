"""The service layer: the only code that commits. Routes and the CLI call these functions."""
