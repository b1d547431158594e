"""Dynamic management (动态管理): the archive over the years — changes, reviews, warnings to their end, cases."""
