"""Unit tests: the domain, settings and HTTP presentation in memory. No sockets, no moto."""
