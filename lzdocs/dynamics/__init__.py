"""动态管理 (issue 14): the archive over the years — warnings followed to their end, a unit's card."""
