"""queuesim: simulate telephone contact centres."""
__version__ = "0.1.0"
