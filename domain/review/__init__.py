"""Review: change requests of organizations under review, approved or rejected by the national agency."""
