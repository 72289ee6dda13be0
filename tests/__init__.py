"""shortlinks test suite: unit (pure domain), integration (handlers on moto), e2e (real HTTP)."""
