"""``shortlinks``, the command line of shortlinks: a client of the HTTP API for people and scripts (``shorten``,
``expand``, ``links``, ``stats``, ``qr``, ``import``, ``export``), and the operator's ``keys`` and ``domains``,
which run ``shortlinks.cli`` against the table.

It lives outside ``functions/`` (every function's CodeUri) so no Lambda package ships it or its libraries.
"""
