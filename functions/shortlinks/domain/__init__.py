"""Pure domain: links, codes, URL rules and errors. No AWS, no HTTP."""
