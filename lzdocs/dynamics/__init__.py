"""动态管理 (issue 14): the archive over time — reviews of risk points and the other follow-ups."""
