"""Persistence: the single-table key design (keys.py) and repositories over DynamoDB."""
