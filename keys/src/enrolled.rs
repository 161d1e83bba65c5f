//! The enrolled keys an advisor confirmed, and the key-substitution check.
//!
//! A reporter's browser seals to the advisor keys the server's public
//! configuration lists. An operator who wants to read reports could list a
//! key of their own, or swap an advisor's key for theirs. The advisors
//! notice because their console fetches the same configuration, exactly as
//! a reporter's browser does, and compares it with the keys they confirmed
//! aloud at enrolment, kept in a small file the advisor controls:
//!
//! ```text
//! # meldkluis enrolled keys of tenant acme, fingerprints compared aloud
//! advisor  340be20c...0761  A. de Vries
//! advisor  91cc781e...cb0e  B. Jansen
//! recovery ef580505...4a61
//! earlier  1a2b3c4d...9f0e  my key before 2026-11 (rotated)
//! former-recovery 77e0c1a2...03bd  replaced 2026-12
//! ```
//!
//! `advisor` lines are the tenant's advisor keys, `recovery` its offline
//! recovery key, `earlier` this advisor's own earlier keys (trusted as the
//! grantor of key grants after a planned rotation; a *lost* key must not be
//! listed, as whoever finds the token could then forge grants).
//!
//! Replacing the recovery key: the advisors compare the new key's
//! fingerprint aloud (as at enrolment), change the `recovery` line to the
//! new key and keep the old one as a `former-recovery` line (its grants from
//! an earlier recovery stay trusted); then one advisor runs
//! `meldkluis-advisor replace-recovery-key --new-recovery KEY`, which acts
//! only if KEY is the `recovery` line here *and* the key the server serves.
//! A recovery key only the server names is never granted anything.

use std::path::Path;

use meldkluis_crypto_core::PublicKey;

use crate::Error;

/// The keys an advisor confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrolledKeys {
    /// The tenant's advisor keys, with the names noted beside them.
    pub advisors: Vec<(PublicKey, String)>,
    /// The tenant's recovery key.
    pub recovery: Option<PublicKey>,
    /// This advisor's own earlier keys (trusted grantors after a rotation).
    pub earlier: Vec<PublicKey>,
    /// The tenant's replaced recovery keys (trusted grantors of grants made
    /// before the replacement).
    pub former_recovery: Vec<PublicKey>,
}

impl EnrolledKeys {
    /// Parses the file format above.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut keys = Self::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let kind = words.next().unwrap_or("");
            let key = words
                .next()
                .ok_or(Error::Malformed("enrolled keys (a line without a key)"))?;
            let key = PublicKey::from_hex(key)
                .map_err(|_| Error::Malformed("enrolled keys (a key is not 64 hex digits)"))?;
            let rest = words.collect::<Vec<_>>().join(" ");
            match kind {
                "advisor" => keys.advisors.push((key, rest)),
                "recovery" if keys.recovery.is_none() => keys.recovery = Some(key),
                "recovery" => return Err(Error::Malformed("enrolled keys (two recovery keys)")),
                "earlier" => keys.earlier.push(key),
                "former-recovery" => keys.former_recovery.push(key),
                _ => {
                    return Err(Error::Malformed(
                        "enrolled keys (a line starts with neither advisor, recovery, earlier nor former-recovery)",
                    ))
                }
            }
        }
        if keys.advisors.is_empty() {
            return Err(Error::Malformed("enrolled keys (no advisor key)"));
        }
        if keys
            .recovery
            .is_some_and(|current| keys.former_recovery.contains(&current))
        {
            return Err(Error::Malformed(
                "enrolled keys (the recovery key is also a former recovery key)",
            ));
        }
        Ok(keys)
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        Self::parse(&std::fs::read_to_string(path).map_err(Error::io(path))?)
    }

    /// The advisor keys alone.
    pub fn advisor_keys(&self) -> Vec<PublicKey> {
        self.advisors.iter().map(|(key, _)| *key).collect()
    }

    /// The name noted beside an advisor key.
    pub fn name_of(&self, key: &PublicKey) -> Option<&str> {
        self.advisors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, name)| name.as_str())
            .filter(|name| !name.is_empty())
    }
}

/// A key as the server's public configuration serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedKey {
    /// The key.
    pub public_key: PublicKey,
    /// The fingerprint the server shows next to it.
    pub fingerprint: String,
}

/// One way the served configuration differs from the enrolled keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substitution {
    /// The server lists an advisor key nobody enrolled: reports sealed to
    /// it can be read by whoever holds it.
    UnknownAdvisorKey(PublicKey),
    /// An enrolled advisor key is missing from the served list (swapped or
    /// removed): reporters no longer seal to it.
    MissingAdvisorKey(PublicKey),
    /// The served fingerprint is not the key's fingerprint (a reporter
    /// comparing fingerprints would be misled).
    WrongFingerprint(PublicKey),
    /// The served recovery key is not the enrolled one.
    RecoveryKeyDiffers {
        /// What the server serves (`None`: none).
        served: Option<PublicKey>,
    },
}

/// Compares what the server serves with what the advisor confirmed. An empty
/// answer means they agree.
pub fn check_served_keys(
    enrolled: &EnrolledKeys,
    served_advisors: &[ServedKey],
    served_recovery: Option<&ServedKey>,
) -> Vec<Substitution> {
    let mut problems = Vec::new();
    let expected = enrolled.advisor_keys();
    for served in served_advisors {
        if !expected.contains(&served.public_key) {
            problems.push(Substitution::UnknownAdvisorKey(served.public_key));
        }
    }
    for key in &expected {
        if !served_advisors.iter().any(|s| s.public_key == *key) {
            problems.push(Substitution::MissingAdvisorKey(*key));
        }
    }
    for served in served_advisors.iter().chain(served_recovery) {
        if served.fingerprint != served.public_key.fingerprint() {
            problems.push(Substitution::WrongFingerprint(served.public_key));
        }
    }
    if let Some(recovery) = enrolled.recovery {
        let served = served_recovery.map(|s| s.public_key);
        if served != Some(recovery) {
            problems.push(Substitution::RecoveryKeyDiffers { served });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PublicKey {
        PublicKey::from_bytes([byte; 32])
    }

    fn served(k: PublicKey) -> ServedKey {
        ServedKey {
            public_key: k,
            fingerprint: k.fingerprint(),
        }
    }

    #[test]
    fn the_file_parses_and_refuses_nonsense() {
        let text = format!(
            "# confirmed 2026-11-24\nadvisor {} A. de Vries\n\nadvisor {}\nrecovery {} # paper\nearlier {} old\nformer-recovery {} replaced\n",
            key(1).to_hex(),
            key(2).to_hex(),
            key(3).to_hex(),
            key(4).to_hex(),
            key(5).to_hex()
        );
        let keys = EnrolledKeys::parse(&text).expect("parses");
        assert_eq!(keys.advisor_keys(), vec![key(1), key(2)]);
        assert_eq!(keys.name_of(&key(1)), Some("A. de Vries"));
        assert_eq!(keys.name_of(&key(2)), None);
        assert_eq!(keys.recovery, Some(key(3)));
        assert_eq!(keys.earlier, vec![key(4)]);
        assert_eq!(keys.former_recovery, vec![key(5)]);
        for bad in [
            "advisor 12ab",
            "adviser 0101010101010101010101010101010101010101010101010101010101010101",
            "recovery 0101010101010101010101010101010101010101010101010101010101010101",
            "",
            "advisor 0101010101010101010101010101010101010101010101010101010101010101\n\
             recovery 0202020202020202020202020202020202020202020202020202020202020202\n\
             former-recovery 0202020202020202020202020202020202020202020202020202020202020202",
        ] {
            assert!(EnrolledKeys::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_kind_of_substitution_is_found() {
        let enrolled = EnrolledKeys {
            advisors: vec![(key(1), String::new()), (key(2), String::new())],
            recovery: Some(key(3)),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
        };
        let good = [served(key(1)), served(key(2))];
        assert!(check_served_keys(&enrolled, &good, Some(&served(key(3)))).is_empty());
        // An extra key, a swapped key, a lying fingerprint, another recovery key.
        let extra = [served(key(1)), served(key(2)), served(key(9))];
        assert_eq!(
            check_served_keys(&enrolled, &extra, Some(&served(key(3)))),
            vec![Substitution::UnknownAdvisorKey(key(9))]
        );
        let swapped = [served(key(1)), served(key(8))];
        assert_eq!(
            check_served_keys(&enrolled, &swapped, Some(&served(key(3)))),
            vec![
                Substitution::UnknownAdvisorKey(key(8)),
                Substitution::MissingAdvisorKey(key(2))
            ]
        );
        let mut lying = good.clone();
        lying[1].fingerprint = key(1).fingerprint();
        assert_eq!(
            check_served_keys(&enrolled, &lying, Some(&served(key(3)))),
            vec![Substitution::WrongFingerprint(key(2))]
        );
        assert_eq!(
            check_served_keys(&enrolled, &good, Some(&served(key(7)))),
            vec![Substitution::RecoveryKeyDiffers {
                served: Some(key(7))
            }]
        );
        assert_eq!(
            check_served_keys(&enrolled, &good, None),
            vec![Substitution::RecoveryKeyDiffers { served: None }]
        );
    }
}
