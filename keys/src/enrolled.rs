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
//! management 5d1e09aa...77c2  directie — J. Smit
//! forward  c0ffee12...0b3a  HR — P. de Boer
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
//!
//! `management` and `forward` lines are the organisation's recipients
//! (`shared/design/domain.md`): a management recipient (directie,
//! OR-rapportage) receives figures reports, a forward recipient (HR, a
//! complaints committee) a case the reporter approved forwarding. Like an
//! advisor key, each is added only after its fingerprint was compared aloud
//! with the recipient at enrolment; the label after the key is the name the
//! console shows and puts into an approval request. The console seals to a
//! recipient only when its key is here *and* the server serves it in the
//! same role ([`check_served_recipients`]): a key only the server names is
//! never sealed to.

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
    /// The organisation's recipients (management and forward), with their
    /// labels.
    pub recipients: Vec<ConfirmedRecipient>,
}

/// The role of an organisation's recipient (`shared/design/domain.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientRole {
    /// A management recipient (directie, OR-rapportage): figures reports.
    Management,
    /// A forward recipient (HR, a complaints committee): forwarded cases.
    Forward,
}

impl RecipientRole {
    /// The role's code, as the server and the enrolled-keys file spell it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Management => "management",
            Self::Forward => "forward",
        }
    }

    /// The role of a code (`management` or `forward`).
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "management" => Some(Self::Management),
            "forward" => Some(Self::Forward),
            _ => None,
        }
    }
}

/// A recipient whose key the advisor confirmed aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedRecipient {
    /// Management or forward.
    pub role: RecipientRole,
    /// The recipient's key.
    pub public_key: PublicKey,
    /// The name noted beside it (never empty).
    pub label: String,
}

impl ConfirmedRecipient {
    /// The line of the enrolled-keys file that confirms this recipient.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}",
            self.role.code(),
            self.public_key.to_hex(),
            self.label
        )
    }
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
                "management" | "forward" => {
                    let role = RecipientRole::from_code(kind).unwrap_or(RecipientRole::Forward);
                    if rest.is_empty() {
                        return Err(Error::Malformed(
                            "enrolled keys (a management or forward line needs a label after the key)",
                        ));
                    }
                    if keys.recipients.iter().any(|r| r.public_key == key) {
                        return Err(Error::Malformed(
                            "enrolled keys (one recipient key on two lines)",
                        ));
                    }
                    keys.recipients.push(ConfirmedRecipient {
                        role,
                        public_key: key,
                        label: rest,
                    });
                }
                _ => {
                    return Err(Error::Malformed(
                        "enrolled keys (a line starts with neither advisor, recovery, earlier, former-recovery, management nor forward)",
                    ))
                }
            }
        }
        // A recipient's key is never also a key that reads every report.
        let readers: Vec<PublicKey> = keys
            .advisor_keys()
            .into_iter()
            .chain(keys.recovery)
            .chain(keys.earlier.iter().copied())
            .chain(keys.former_recovery.iter().copied())
            .collect();
        if keys
            .recipients
            .iter()
            .any(|r| readers.contains(&r.public_key))
        {
            return Err(Error::Malformed(
                "enrolled keys (a management or forward key is also an advisor or recovery key)",
            ));
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

    /// The confirmed recipient with this key, if any.
    pub fn recipient(&self, key: &PublicKey) -> Option<&ConfirmedRecipient> {
        self.recipients.iter().find(|r| r.public_key == *key)
    }

    /// The confirmed recipients of one role, in the file's order.
    pub fn recipients_of(&self, role: RecipientRole) -> impl Iterator<Item = &ConfirmedRecipient> {
        self.recipients.iter().filter(move |r| r.role == role)
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

/// An organisation's recipient as the server serves it
/// (`GET advisor/recipients`): the server's word, checked against the
/// enrolled keys before anything is sealed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedRecipient {
    /// The role code the server states (`management`, `forward`, or
    /// anything else a breached server sends).
    pub role: String,
    /// The label the server shows.
    pub label: String,
    /// The key.
    pub public_key: PublicKey,
    /// The fingerprint the server shows next to it.
    pub fingerprint: String,
    /// `token` or `code`: how the recipient holds the key.
    pub key_source: String,
    /// The day it was enrolled.
    pub enrolled_day: String,
}

impl ServedRecipient {
    /// The role, if it is one the console knows.
    pub fn role(&self) -> Option<RecipientRole> {
        RecipientRole::from_code(&self.role)
    }
}

/// How a served recipient stands against the enrolled keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientStanding {
    /// Confirmed aloud in this role and served in it, with its own
    /// fingerprint: the console may seal to it.
    Confirmed,
    /// Served but not in the enrolled-keys file: nothing is sealed to it
    /// until the advisor compares its fingerprint aloud and adds its line.
    Unconfirmed,
    /// Confirmed, but the server serves it in another role.
    OtherRole(RecipientRole),
    /// The served fingerprint is not the key's.
    WrongFingerprint,
}

/// The standing of one served recipient.
pub fn recipient_standing(enrolled: &EnrolledKeys, served: &ServedRecipient) -> RecipientStanding {
    if served.fingerprint != served.public_key.fingerprint() {
        return RecipientStanding::WrongFingerprint;
    }
    match enrolled.recipient(&served.public_key) {
        None => RecipientStanding::Unconfirmed,
        Some(confirmed) if served.role() == Some(confirmed.role) => RecipientStanding::Confirmed,
        Some(confirmed) => RecipientStanding::OtherRole(confirmed.role),
    }
}

/// A way the served recipients differ from the confirmed ones: a sign of
/// key substitution, shown loudly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientSubstitution {
    /// A confirmed recipient the server no longer serves (removed, or its
    /// key swapped for another).
    NotServed(ConfirmedRecipient),
    /// A confirmed recipient the server serves in another role (the role
    /// it states).
    OtherRole(ConfirmedRecipient, String),
    /// A served fingerprint that is not its key's.
    WrongFingerprint(PublicKey),
}

/// Compares the served recipients with the confirmed ones. An empty answer
/// means every confirmed recipient is served as confirmed (recipients that
/// are served but not yet confirmed are no substitution: they are listed,
/// with the instruction to confirm them).
pub fn check_served_recipients(
    enrolled: &EnrolledKeys,
    served: &[ServedRecipient],
) -> Vec<RecipientSubstitution> {
    let mut problems = Vec::new();
    for confirmed in &enrolled.recipients {
        let same_key: Vec<&ServedRecipient> = served
            .iter()
            .filter(|s| s.public_key == confirmed.public_key)
            .collect();
        if same_key.is_empty() {
            problems.push(RecipientSubstitution::NotServed(confirmed.clone()));
        }
        for other in same_key.iter().filter(|s| s.role() != Some(confirmed.role)) {
            problems.push(RecipientSubstitution::OtherRole(
                confirmed.clone(),
                other.role.clone(),
            ));
        }
    }
    for s in served {
        if s.fingerprint != s.public_key.fingerprint() {
            problems.push(RecipientSubstitution::WrongFingerprint(s.public_key));
        }
    }
    problems
}

/// The recipients of `role` the console may seal to: confirmed aloud in
/// that role *and* served by the server in that role (with the key's own
/// fingerprint), in the file's order. A key only the server names, or one
/// the server no longer serves, is never among them.
pub fn sealable_recipients<'a>(
    enrolled: &'a EnrolledKeys,
    served: &[ServedRecipient],
    role: RecipientRole,
) -> Vec<&'a ConfirmedRecipient> {
    enrolled
        .recipients_of(role)
        .filter(|confirmed| {
            let matching: Vec<&ServedRecipient> = served
                .iter()
                .filter(|s| s.public_key == confirmed.public_key)
                .collect();
            !matching.is_empty()
                && matching
                    .iter()
                    .all(|s| recipient_standing(enrolled, s) == RecipientStanding::Confirmed)
        })
        .collect()
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
            recipients: Vec::new(),
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

    fn served_recipient(role: &str, k: PublicKey) -> ServedRecipient {
        ServedRecipient {
            role: role.into(),
            label: "served label".into(),
            public_key: k,
            fingerprint: k.fingerprint(),
            key_source: "code".into(),
            enrolled_day: "2026-11-30".into(),
        }
    }

    #[test]
    fn recipient_lines_parse_and_refuse_nonsense() {
        let text = format!(
            "advisor {}\nrecovery {}\nmanagement {} directie — J. Smit\nforward {} HR — P. de Boer # aloud 2026-11-30\nforward {} Klachtencommissie\n",
            key(1).to_hex(),
            key(2).to_hex(),
            key(3).to_hex(),
            key(4).to_hex(),
            key(5).to_hex()
        );
        let keys = EnrolledKeys::parse(&text).expect("parses");
        assert_eq!(
            keys.recipients,
            vec![
                ConfirmedRecipient {
                    role: RecipientRole::Management,
                    public_key: key(3),
                    label: "directie — J. Smit".into()
                },
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: key(4),
                    label: "HR — P. de Boer".into()
                },
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: key(5),
                    label: "Klachtencommissie".into()
                },
            ]
        );
        assert_eq!(
            keys.recipients_of(RecipientRole::Forward)
                .map(|r| r.public_key)
                .collect::<Vec<_>>(),
            vec![key(4), key(5)]
        );
        assert_eq!(
            keys.recipient(&key(3)).map(|r| r.role),
            Some(RecipientRole::Management)
        );
        assert_eq!(keys.recipient(&key(1)), None);
        // The line the console tells the advisor to add parses back to the
        // same recipient.
        let line = keys.recipients[1].line();
        let again =
            EnrolledKeys::parse(&format!("advisor {}\n{line}\n", key(1).to_hex())).expect("parses");
        assert_eq!(again.recipients, vec![keys.recipients[1].clone()]);
        let advisor = format!("advisor {}\n", key(1).to_hex());
        for bad in [
            // No label.
            format!("{advisor}forward {}", key(4).to_hex()),
            format!("{advisor}management {}   # only a comment", key(4).to_hex()),
            // Not a key.
            format!("{advisor}forward 12ab HR"),
            // One key in two roles, or twice.
            format!(
                "{advisor}forward {k} HR\nmanagement {k} directie",
                k = key(4).to_hex()
            ),
            format!(
                "{advisor}forward {k} HR\nforward {k} HR",
                k = key(4).to_hex()
            ),
            // A recipient key that is also an advisor's or the recovery key.
            format!("{advisor}forward {} HR", key(1).to_hex()),
            format!(
                "{advisor}recovery {k}\nmanagement {k} directie",
                k = key(2).to_hex()
            ),
            // A role the file does not know.
            format!("{advisor}hr {} HR", key(4).to_hex()),
        ] {
            assert!(EnrolledKeys::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_recipients_confirmed_and_served_in_their_role_are_sealed_to() {
        let enrolled = EnrolledKeys {
            advisors: vec![(key(1), String::new())],
            recovery: Some(key(2)),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
            recipients: vec![
                ConfirmedRecipient {
                    role: RecipientRole::Management,
                    public_key: key(3),
                    label: "directie".into(),
                },
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: key(4),
                    label: "HR".into(),
                },
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: key(5),
                    label: "commissie".into(),
                },
            ],
        };
        let keys_of =
            |list: Vec<&ConfirmedRecipient>| list.iter().map(|r| r.public_key).collect::<Vec<_>>();
        // All served as confirmed, plus one nobody confirmed.
        let good = vec![
            served_recipient("management", key(3)),
            served_recipient("forward", key(4)),
            served_recipient("forward", key(5)),
            served_recipient("forward", key(9)),
        ];
        assert!(check_served_recipients(&enrolled, &good).is_empty());
        assert_eq!(
            recipient_standing(&enrolled, &good[3]),
            RecipientStanding::Unconfirmed
        );
        assert_eq!(
            keys_of(sealable_recipients(
                &enrolled,
                &good,
                RecipientRole::Forward
            )),
            vec![key(4), key(5)]
        );
        assert_eq!(
            keys_of(sealable_recipients(
                &enrolled,
                &good,
                RecipientRole::Management
            )),
            vec![key(3)]
        );
        // key(4) swapped for key(9), key(5) served as management, key(3)
        // served with a lying fingerprint.
        let mut bad = vec![
            served_recipient("management", key(3)),
            served_recipient("management", key(5)),
            served_recipient("forward", key(9)),
        ];
        bad[0].fingerprint = key(9).fingerprint();
        assert_eq!(
            check_served_recipients(&enrolled, &bad),
            vec![
                RecipientSubstitution::NotServed(enrolled.recipients[1].clone()),
                RecipientSubstitution::OtherRole(
                    enrolled.recipients[2].clone(),
                    "management".into()
                ),
                RecipientSubstitution::WrongFingerprint(key(3)),
            ]
        );
        assert_eq!(
            recipient_standing(&enrolled, &bad[1]),
            RecipientStanding::OtherRole(RecipientRole::Forward)
        );
        assert!(sealable_recipients(&enrolled, &bad, RecipientRole::Forward).is_empty());
        assert!(sealable_recipients(&enrolled, &bad, RecipientRole::Management).is_empty());
        // Served twice, once in the right role and once in another: not
        // sealed to.
        let twice = vec![
            served_recipient("forward", key(4)),
            served_recipient("management", key(4)),
        ];
        assert!(sealable_recipients(&enrolled, &twice, RecipientRole::Forward).is_empty());
    }
}
