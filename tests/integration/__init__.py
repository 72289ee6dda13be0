"""Integration tests: each Lambda handler driven by real HTTP API events against a moto DynamoDB table."""
