//! One file per resource and per data source, each in the same section order (see
//! [`crate::resource::Resource`]).

use std::sync::Arc;

use crate::resource::{DataSource, Resource};

/// Every resource the provider serves.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    Vec::new()
}

/// Every data source the provider serves.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    Vec::new()
}
