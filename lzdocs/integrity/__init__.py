"""The archive proving itself (docs/product.md §12): hashes recorded, the event chain, checks, backups, packages."""
