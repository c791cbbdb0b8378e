"""`make bench`: Palabre's speed and cost figures, measured, printed."""
