"""The web console's function: the page at /console and its fingerprinted files. No AWS call, no dependency."""
