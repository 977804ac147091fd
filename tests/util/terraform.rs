//! Running the real terraform CLI with dev_overrides (to be written).
