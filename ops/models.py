"""No models: here so that migrate's post_migrate reaches this app (ops.apps creates the cache table)."""
