"""Every read of attendance, one module per area."""
