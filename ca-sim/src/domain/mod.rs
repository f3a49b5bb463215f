//! The domain types every other module shares: dialects, accounts, orders, timing profiles,
//! fault actions, rate windows and the seeded generator. This module imports nothing else of
//! the crate, so any module may depend on it without forming a loop.
//!
//! - [`acme`]: the ACME dialect's accounts, orders, authorizations and challenges.
//! - [`dialect`]: [`Dialect`], the key of everything per vendor.
//! - [`account`]: [`Account`] and its DigiCert [`Organization`]s.
//! - [`order`]: [`Order`], [`OrderStatus`], [`IssuedCert`], its timeline ([`Event`]) and
//!   [`NewOrder`], what a dialect asks the order book for.
//! - [`timing`]: [`TimingProfile`], when an order becomes issuable.
//! - [`fault`]: [`FaultAction`], what a fired rule does, [`FaultPhase`], when it strikes, and
//!   the operation names ([`op`]).
//! - [`rate`]: [`RateWindow`] and the [`RateLimiter`] over them.
//! - [`rng`]: [`SplitMix64`], the seeded generator behind every outcome-shaping choice.

pub mod account;
pub mod acme;
pub mod dialect;
pub mod fault;
pub mod order;
pub mod rate;
pub mod rng;
pub mod timing;

pub use account::{Account, Organization, DEFAULT_PROFILE};
pub use dialect::Dialect;
pub use fault::{op, FaultAction, FaultPhase};
pub use order::{
    Event, IssuedCert, NewOrder, Order, OrderStatus, RevokeRequest, MAX_VALIDITY_DAYS,
};
pub use rate::{RateLimiter, RateWindow};
pub use rng::SplitMix64;
pub use timing::TimingProfile;
