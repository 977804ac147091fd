//! Default endpoints per product and region.
