"""Fault tests: DynamoDB refusing, resetting, hanging and throttling behind a proxy, and what every function answers."""
