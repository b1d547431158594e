"""Dynamic management (动态管理): the archive over the years — changes, reviews, cases and other follow-ups."""
