"""The case catalog: one module per category, each case executable documentation of one fact."""
