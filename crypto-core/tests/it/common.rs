//! Fixed keys and a seeded random source shared by the item tests.
#![allow(dead_code)]

use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{StaticKey, StaticSecret, TenantId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The cast of the item tests: three advisors, the recovery key, a
/// reporter's mailbox and an outsider.
pub struct Cast {
    pub advisors: [StaticSecret; 3],
    pub recovery: StaticSecret,
    pub mailbox: StaticSecret,
    pub outsider: StaticSecret,
    pub tenant: TenantId,
}

impl Cast {
    pub fn new() -> Self {
        Self {
            advisors: [
                derive_key_pair(b"meldkluis test advisor 1 key material"),
                derive_key_pair(b"meldkluis test advisor 2 key material"),
                derive_key_pair(b"meldkluis test advisor 3 key material"),
            ],
            recovery: derive_key_pair(b"meldkluis test recovery key material"),
            mailbox: derive_key_pair(b"meldkluis test mailbox key material!"),
            outsider: derive_key_pair(b"meldkluis test outsider key material"),
            tenant: TenantId::new("acme").unwrap(),
        }
    }

    pub fn by_name(&self, name: &str) -> &StaticSecret {
        match name {
            "advisor1" => &self.advisors[0],
            "advisor2" => &self.advisors[1],
            "advisor3" => &self.advisors[2],
            "recovery" => &self.recovery,
            "mailbox" => &self.mailbox,
            "outsider" => &self.outsider,
            other => panic!("no key named {other}"),
        }
    }

    /// Everyone a report is sealed to.
    pub fn report_recipients(&self) -> Vec<meldkluis_crypto_core::PublicKey> {
        let mut r: Vec<_> = self.advisors.iter().map(|a| a.public_key()).collect();
        r.push(self.recovery.public_key());
        r.push(self.mailbox.public_key());
        r
    }
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}
