"""``make smoke``: a short end-to-end check of any deployment through its public API (``python -m smoke``)."""
