"""lzdocs：廉政风险防控工作台 — reads filled forms, keeps the archive, writes registers, letters and notices."""

__version__ = "0.1.0"
