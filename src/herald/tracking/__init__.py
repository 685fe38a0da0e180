"""Click tracking: signed callback data and links, the clicks store, analytics."""
