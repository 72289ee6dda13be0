"""``python -m local``: serve every route of template.yaml at http://127.0.0.1:3000 (``PORT``, ``HOST``)."""

from local.server import main

main()
