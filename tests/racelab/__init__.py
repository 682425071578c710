"""Race lab: run race-prone scenario projects against a real DynamoDB-compatible server (dynalite)
with real threads, and measure what the race costs (paid API calls, lost increments, lost edits)."""
