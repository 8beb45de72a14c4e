"""Central's analytics over ``record_facts``: filters, the small-cell rule, an in-process
columnar index, and what the dashboard, case list and ``flask dashboard`` show
(docs/analytics.md, "Dashboard, case list and small cells")."""
