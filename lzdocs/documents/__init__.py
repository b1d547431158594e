"""Everything lzdocs writes: blank forms, registers, letters and notices, and their 文号."""
