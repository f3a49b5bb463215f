//! The dashboard's read of a vault's certificates (`/_admin/certificates`): one page of
//! active names with their latest version and operation status, searched and counted in
//! the store (one indexed query, see `store::sqlite::dashboard`).

use super::service::Service;
use crate::error::Result;
use crate::store::{CertFilter, DashboardRow};

impl Service {
    /// Up to `limit` active certificates in key order after key `after`, and how many match.
    pub async fn dashboard_page(
        &self,
        filter: CertFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<(Vec<DashboardRow>, i64)> {
        Ok(self
            .db
            .run(move |s| s.dashboard_certificates(&filter, after.as_deref(), limit))
            .await?)
    }
}
