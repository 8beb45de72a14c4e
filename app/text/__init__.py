"""Text handling for the app's languages: Zawgyi, dates, numbers.

A pure package: standard library, myanmartools and Babel only (no Flask, no
SQLAlchemy), so it can be used from forms, services and the sync API alike.
"""
