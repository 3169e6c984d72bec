"""The `tastemaker` command."""
