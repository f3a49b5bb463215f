//! HTTP front end. A request goes [`VaultService`] (per connection) →
//! [`middleware::handle`] (the Key Vault rules, the polling fast path) → [`routes::router`] (the
//! route table, one place) → one handler module per resource. [`state`] holds the shared
//! [`AppState`]; [`reply`] the JSON reply helpers; [`wire`] turns records into wire models;
//! [`error`] renders errors.

pub mod admin;
pub mod admin_access;
pub mod admin_ui_api;
pub mod auth;
pub mod certificates;
pub mod contacts;
pub mod deleted;
pub mod error;
pub mod events;
pub mod extract;
pub mod issuers;
pub mod keys;
pub mod middleware;
pub mod paging;
pub mod pending;
pub mod poll;
pub mod reply;
pub mod request_log;
pub mod routes;
pub mod secrets;
pub mod service;
pub mod state;
pub mod throttle;
pub mod ui;
pub mod versions;
pub mod wire;

pub use routes::router;
pub use service::VaultService;
pub use state::{App, AppState, RequestIds};
