"""Safe access to Office files: limits checked before parsing, XML without DTDs, East-Asian fonts."""
