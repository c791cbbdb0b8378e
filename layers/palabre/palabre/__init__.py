"""Palabre's domain: roster and calendar import, dispatch, answers, scores, digests."""
