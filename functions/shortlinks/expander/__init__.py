"""The expander's adapter: the address guard and the HTTP client behind the domain's ``Fetcher``. The only package
that opens connections to third-party hosts (``domain/expansion.py`` holds the rules about hops and stops)."""
