"""动态管理 (issue 14): what happens to the archive after the forms are in — risk points over time, cases."""
