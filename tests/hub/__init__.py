"""A fake of the Hugging Face Hub's HTTP endpoints (server.py) and a runner for the real client (client.py)."""
