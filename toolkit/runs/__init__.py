"""One module per pipeline kind: data -> models -> report."""
