"""Lambda entry points: translate HTTP to domain calls and back, nothing more."""
