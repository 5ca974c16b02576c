"""Pure offering logic: bundles, pricing, recommendations, the 80/20 curve. No Flask, no SQL."""
