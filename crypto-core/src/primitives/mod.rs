//! Small compositions named after the specifications they implement.
//!
//! Each function checks exact lengths before it decrypts anything. Nothing
//! here knows about items, tenants or mailboxes.

pub mod hpke;
pub mod padding;
pub mod stream;
