"""End-to-end tests: the local server in a subprocess, spoken to over real HTTP."""
