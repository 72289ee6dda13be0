"""The HTTP adapter every entry point shares: JSON endpoints, error mapping, callers, short domains, pages."""
