"""Dynamic management (动态管理): how the archive's risk points live through the years, and the cases."""
