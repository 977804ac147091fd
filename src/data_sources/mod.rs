//! One file per data source, each in the same section order (see
//! [`crate::resource::DataSource`]), named as its type without the `alicloud_` prefix, so that a
//! data source and the resource of the same name (`crate::resources`) differ by their folder.
//! What they share with the resources (arguments, the mapping of API answers, IDs) lives in
//! `crate::resources`; what only the data sources share is `listing`.
//!
//! [`polardb_backup`] (`alicloud_polardb_backup`), [`polardb_backups`], [`polardbx_backup`],
//! [`polardbx_backups`].

use std::sync::Arc;

use crate::resource::DataSource;

mod listing;
pub mod polardb_backup;
pub mod polardb_backups;
pub mod polardbx_backup;
pub mod polardbx_backups;

/// Every data source the provider serves.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(polardb_backups::PolardbBackups::new()),
        Arc::new(polardbx_backups::PolardbxBackups::new()),
        Arc::new(polardb_backup::PolardbBackup::new()),
        Arc::new(polardbx_backup::PolardbxBackup::new()),
    ]
}
