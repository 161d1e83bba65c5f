//! The reporter's login code and the mailbox derived from it.
//!
//! The browser makes the code, shows it once, and never sends it. From it,
//! Argon2id (salt bound to the tenant and the protocol version) gives a seed;
//! HKDF splits the seed into the mailbox id (a lookup key the server stores),
//! the authentication secret (the server stores only a keyed hash of it) and
//! the mailbox's X25519 key pair (the server stores only the public key).
//! Nothing the server stores leads back to the private key, so a lost code
//! can never be reissued.

use core::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::format::TenantId;
use crate::keys::{PublicKey, StaticKey, StaticSecret};

mod reference;
pub use reference::{
    mailbox_reference, parse_mailbox_reference, ReferenceError, REFERENCE_LABEL, REFERENCE_SYMBOLS,
};

/// The 32 symbols of a login code and of a mailbox reference: Crockford's
/// base32 alphabet (no I, L, O or U, which are easily confused or
/// offensive).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols in a code: 22 × 5 = 110 bits.
pub const DATA_SYMBOLS: usize = 22;
/// Symbols in a code: the random ones and two check symbols.
pub const CODE_SYMBOLS: usize = DATA_SYMBOLS + 2;
/// Symbols per group when the code is shown.
pub const GROUP_LEN: usize = 4;

/// Why a typed code was refused (before anything is derived or sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// The code has the wrong number of symbols.
    #[error("a login code has {CODE_SYMBOLS} characters; this has {found}")]
    WrongLength {
        /// How many symbols were found.
        found: usize,
    },
    /// A character that cannot be in a code, at this 1-based position in
    /// the text as typed (counting spaces and dashes), so the interface can
    /// point at it.
    #[error("character {position} cannot be part of a login code")]
    InvalidCharacter {
        /// 1-based position in the typed text, in characters.
        position: usize,
    },
    /// The check symbols do not match: a character was mistyped.
    #[error("this login code contains a typing error")]
    CheckFailed,
}

/// A login code: 22 random symbols and two check symbols. Wiped on drop;
/// never printed by `Debug`.
pub struct LoginCode {
    /// Canonical symbols, uppercase, no separators.
    symbols: Zeroizing<[u8; CODE_SYMBOLS]>,
}

impl fmt::Debug for LoginCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginCode(..)")
    }
}

/// The value of a symbol, after mapping look-alikes (O→0, I/L→1, U→V).
fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        b'U' => b'V',
        c => c,
    };
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u8)
}

/// Why typed symbols were refused; a login code and a mailbox reference
/// each say it in their own error.
enum Typed {
    WrongLength { found: usize },
    InvalidCharacter { position: usize },
}

/// Reads typed symbols into `values`, exactly `values.len()` of them: white
/// space and dashes are skipped, every other character is read by `value`
/// (the look-alikes a login code and a mailbox reference accept differ).
/// An invalid character is reported at its 1-based position in `typed`,
/// before a wrong count.
fn read_symbols(typed: &str, values: &mut [u8], value: fn(u8) -> Option<u8>) -> Result<(), Typed> {
    let mut count = 0usize;
    for (index, c) in typed.chars().enumerate() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        count += 1;
        match u8::try_from(c).ok().and_then(value) {
            Some(v) if count <= values.len() => values[count - 1] = v,
            Some(_) => {}
            None => {
                return Err(Typed::InvalidCharacter {
                    position: index + 1,
                })
            }
        }
    }
    if count != values.len() {
        return Err(Typed::WrongLength { found: count });
    }
    Ok(())
}

/// The Luhn mod N check symbol (N = 32) over `values`: catches every single
/// substituted symbol, and every swap of two different neighbours among the
/// data and this symbol except a swap of the values 0 and 31 (`0` and `Z`),
/// as Luhn mod 10 misses `09` ↔ `90` (`tests::luhn_misses_exactly_the_swaps_of_0_and_z`).
fn luhn_check(values: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &v) in values.iter().rev().enumerate() {
        let mut addend = u32::from(v) * if i % 2 == 0 { 2 } else { 1 };
        addend = addend / 32 + addend % 32;
        sum += addend;
    }
    ((32 - sum % 32) % 32) as u8
}

/// A second, hash-based check symbol over the data and the first check: it
/// catches most errors that Luhn misses (several typos at once).
fn hash_check(values: &[u8]) -> u8 {
    let mut hasher = Sha256::new();
    hasher.update(b"meldkluis login code check v1");
    hasher.update(values);
    hasher.finalize()[0] & 31
}

impl LoginCode {
    /// A fresh code with 110 random bits.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut values = Zeroizing::new([0u8; CODE_SYMBOLS]);
        let mut random = Zeroizing::new([0u8; DATA_SYMBOLS]);
        rng.fill_bytes(random.as_mut());
        for (v, r) in values.iter_mut().zip(random.iter()) {
            *v = r & 31; // 32 symbols: a byte's low 5 bits are uniform.
        }
        values[DATA_SYMBOLS] = luhn_check(&values[..DATA_SYMBOLS]);
        values[DATA_SYMBOLS + 1] = hash_check(&values[..=DATA_SYMBOLS]);
        let mut symbols = Zeroizing::new([0u8; CODE_SYMBOLS]);
        for (s, &v) in symbols.iter_mut().zip(values.iter()) {
            *s = ALPHABET[usize::from(v)];
        }
        Self { symbols }
    }

    /// Reads a typed code: case, spaces and dashes do not matter, and
    /// look-alike letters are read as the digits they resemble.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        let mut values = Zeroizing::new([0u8; CODE_SYMBOLS]);
        read_symbols(typed, values.as_mut(), symbol_value).map_err(|typed| match typed {
            Typed::WrongLength { found } => CodeError::WrongLength { found },
            Typed::InvalidCharacter { position } => CodeError::InvalidCharacter { position },
        })?;
        let luhn_ok = luhn_check(&values[..DATA_SYMBOLS]) == values[DATA_SYMBOLS];
        let hash_ok = hash_check(&values[..=DATA_SYMBOLS]) == values[DATA_SYMBOLS + 1];
        if !(luhn_ok && hash_ok) {
            return Err(CodeError::CheckFailed);
        }
        let mut symbols = Zeroizing::new([0u8; CODE_SYMBOLS]);
        for (s, &v) in symbols.iter_mut().zip(values.iter()) {
            *s = ALPHABET[usize::from(v)];
        }
        Ok(Self { symbols })
    }

    /// The code as shown to the reporter: six groups of four, joined by
    /// dashes. Loud name: this is the secret.
    pub fn expose_display_string(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(
            CODE_SYMBOLS + CODE_SYMBOLS / GROUP_LEN,
        ));
        for (i, group) in self.symbols.chunks(GROUP_LEN).enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.extend(group.iter().map(|&b| char::from(b)));
        }
        out
    }

    /// The last group, which the reporter types back to show they kept the
    /// code.
    pub fn expose_last_group(&self) -> Zeroizing<String> {
        Zeroizing::new(
            self.symbols[CODE_SYMBOLS - GROUP_LEN..]
                .iter()
                .map(|&b| char::from(b))
                .collect(),
        )
    }
}

impl LoginCode {
    /// Argon2id v0x13 over the 24 canonical symbols (uppercase ASCII, no
    /// separators) with `salt`, giving 32 bytes: the slow step shared by the
    /// mailbox and the recipient key, which differ in their salt and HKDF
    /// labels.
    pub(crate) fn stretch(
        &self,
        salt: &[u8; 16],
        params: &KdfParams,
    ) -> Result<Zeroizing<[u8; 32]>, crate::Error> {
        let argon_params = argon2::Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(32),
        )
        .map_err(|_| crate::Error::InvalidInput("argon2 parameters"))?;
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon_params,
        );
        let mut seed = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(self.symbols.as_ref(), salt, seed.as_mut())
            .map_err(|_| crate::Error::InvalidInput("argon2 parameters"))?;
        Ok(seed)
    }
}

/// Argon2id parameters for one protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Version 1's Argon2id parameters, chosen by measurement in headless
/// Chromium on the project's reference machine (`scripts/measure-argon2.sh`;
/// the reasoning is in `threat-model.md`, "Argon2id parameters").
pub const KDF_V1: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 1,
};

/// A mailbox id: what the server looks a mailbox up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub [u8; 16]);

impl MailboxId {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, crate::Error> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(text, &mut id).map_err(|_| crate::Error::Malformed("mailbox id"))?;
        Ok(Self(id))
    }
}

impl fmt::Debug for MailboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailboxId({})", self.to_hex())
    }
}

/// The mailbox's authentication secret. Sent to the server at log-in, which
/// keeps only a keyed hash. Wiped on drop; never printed.
pub struct AuthSecret(Zeroizing<[u8; 32]>);

impl AuthSecret {
    /// Wraps 32 bytes (the server, receiving a log-in).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn expose_secret_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for AuthSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthSecret(..)")
    }
}

/// Everything derived from a login code for one tenant.
pub struct MailboxKeys {
    mailbox_id: MailboxId,
    auth_secret: AuthSecret,
    key: StaticSecret,
}

impl fmt::Debug for MailboxKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxKeys")
            .field("mailbox_id", &self.mailbox_id)
            .field("public_key", &self.key.public_key())
            .finish_non_exhaustive()
    }
}

/// The Argon2 salt: bound to the protocol version and the tenant, so one
/// code gives unrelated mailboxes at two tenants and precomputation against
/// one tenant is useless at another.
fn salt(tenant: &TenantId) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(b"meldkluis mailbox salt v1");
    hasher.update([u8::try_from(tenant.as_str().len()).expect("tenant ids are short")]);
    hasher.update(tenant.as_str().as_bytes());
    let digest = hasher.finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

impl MailboxKeys {
    /// Derives the mailbox with the current version's parameters ([`KDF_V1`]).
    /// This is the slow step (0.3 to 0.5 s in headless Chromium here).
    pub fn derive(code: &LoginCode, tenant: &TenantId) -> Self {
        Self::derive_with(code, tenant, &KDF_V1)
            .expect("the version 1 parameters are valid Argon2 parameters")
    }

    /// Derives the mailbox with explicit parameters (for measuring them).
    pub fn derive_with(
        code: &LoginCode,
        tenant: &TenantId,
        params: &KdfParams,
    ) -> Result<Self, crate::Error> {
        let seed = code.stretch(&salt(tenant), params)?;
        Ok(Self::from_seed(&seed))
    }

    /// The HKDF split of the seed into the three mailbox values.
    fn from_seed(seed: &[u8; 32]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"meldkluis mailbox v1"), seed);
        let expand = |label: &[u8], out: &mut [u8]| {
            hkdf.expand(label, out)
                .expect("short HKDF-SHA256 outputs are valid");
        };
        let mut mailbox_id = [0u8; 16];
        expand(b"mailbox id", &mut mailbox_id);
        let mut auth = [0u8; 32];
        expand(b"auth secret", &mut auth);
        let auth_secret = AuthSecret::from_bytes(auth);
        auth.zeroize();
        let mut key = [0u8; 32];
        expand(b"mailbox key", &mut key);
        Self {
            mailbox_id: MailboxId(mailbox_id),
            auth_secret,
            key: StaticSecret::from_bytes(key),
        }
    }

    /// The mailbox id.
    pub fn mailbox_id(&self) -> MailboxId {
        self.mailbox_id
    }

    /// The authentication secret.
    pub fn auth_secret(&self) -> &AuthSecret {
        &self.auth_secret
    }

    /// The mailbox's key (sender of the reporter's items, recipient of all).
    pub fn key(&self) -> &StaticSecret {
        &self.key
    }

    /// The mailbox's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
}

impl ZeroizeOnDrop for MailboxKeys {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn rng() -> rand_chacha::ChaCha20Rng {
        rand_chacha::ChaCha20Rng::seed_from_u64(7)
    }

    #[test]
    fn generated_codes_parse_and_look_right() {
        let mut rng = rng();
        for _ in 0..200 {
            let code = LoginCode::generate(&mut rng);
            let shown = code.expose_display_string();
            assert_eq!(shown.len(), 24 + 5);
            assert_eq!(shown.split('-').count(), 6);
            let parsed = LoginCode::parse(&shown).unwrap();
            assert_eq!(*parsed.symbols, *code.symbols);
            // Lower case, spaces instead of dashes, look-alikes.
            let sloppy = shown
                .to_lowercase()
                .replace('-', " ")
                .replace('0', "o")
                .replace('1', "l");
            assert_eq!(*LoginCode::parse(&sloppy).unwrap().symbols, *code.symbols);
        }
    }

    #[test]
    fn every_single_substitution_is_caught() {
        let mut rng = rng();
        for _ in 0..20 {
            let code = LoginCode::generate(&mut rng);
            for pos in 0..CODE_SYMBOLS {
                for &other in ALPHABET {
                    if other == code.symbols[pos] {
                        continue;
                    }
                    let mut typed = *code.symbols;
                    typed[pos] = other;
                    let typed = String::from_utf8(typed.to_vec()).unwrap();
                    assert_eq!(
                        LoginCode::parse(&typed).err(),
                        Some(CodeError::CheckFailed),
                        "{pos}"
                    );
                }
            }
        }
    }

    /// A valid 23-symbol Luhn prefix (22 data values and the Luhn symbol)
    /// with `a` at `pos` and `b` at `pos + 1`, the rest from `background`.
    fn luhn_prefix_with(background: &[u8; 22], pos: usize, a: u8, b: u8) -> [u8; 23] {
        let mut v = [0u8; 23];
        v[..22].copy_from_slice(background);
        v[pos] = a;
        v[pos + 1] = b;
        if pos + 1 < 22 {
            v[22] = luhn_check(&v[..22]);
        } else {
            // The pair ends at the Luhn symbol: pick the first data value
            // that makes `b` the right check (Luhn is a bijection in each
            // position). `pos` is 21 here, so position 0 is free.
            v[0] = (0..32u8)
                .find(|&x| {
                    v[0] = x;
                    luhn_check(&v[..22]) == b
                })
                .unwrap();
        }
        v
    }

    /// The claim in FORMAT.md, proven exhaustively: over every pair of
    /// neighbours among the 22 data symbols and the Luhn symbol, and every
    /// two different values, the Luhn symbol misses a swap exactly when the
    /// two values are 0 and 31 (`0` and `Z`). (Luhn is a sum of one term per
    /// position, so the other symbols do not matter; three backgrounds
    /// show it.) A swap of the Luhn and hash symbols changes no data, so it
    /// always fails; `neighbour_swaps_are_caught_but_0_z_only_by_the_hash_symbol`
    /// checks that through the whole code.
    #[test]
    fn luhn_misses_exactly_the_swaps_of_0_and_z() {
        for background in [
            [0u8; 22],
            [31u8; 22],
            core::array::from_fn(|i| (i * 7 % 32) as u8),
        ] {
            for pos in 0..22 {
                for a in 0..32u8 {
                    for b in 0..32u8 {
                        if a == b {
                            continue;
                        }
                        let v = luhn_prefix_with(&background, pos, a, b);
                        assert_eq!(luhn_check(&v[..22]), v[22]);
                        let mut swapped = v;
                        swapped.swap(pos, pos + 1);
                        let missed = luhn_check(&swapped[..22]) == swapped[22];
                        assert_eq!(
                            missed,
                            (a, b) == (0, 31) || (a, b) == (31, 0),
                            "{pos} {a} {b}"
                        );
                    }
                }
            }
        }
    }

    /// Through the whole code (both checks): a `0`/`Z` swap passes the Luhn
    /// symbol and is caught by the hash symbol unless its 5-bit hash agrees
    /// by chance (about 1 in 32); every other swap of different neighbours
    /// is always caught.
    #[test]
    fn neighbour_swaps_are_caught_but_0_z_only_by_the_hash_symbol() {
        let mut rng = rng();
        let (mut zero_z, mut zero_z_missed) = (0u32, 0u32);
        for round in 0..4096 {
            let code = LoginCode::generate(&mut rng);
            let mut values: [u8; CODE_SYMBOLS] =
                core::array::from_fn(|i| symbol_value(code.symbols[i]).unwrap());
            // Put a 0 and a Z next to each other among the data.
            let pos = round % (DATA_SYMBOLS - 1);
            values[pos] = 0;
            values[pos + 1] = 31;
            values[DATA_SYMBOLS] = luhn_check(&values[..DATA_SYMBOLS]);
            values[DATA_SYMBOLS + 1] = hash_check(&values[..=DATA_SYMBOLS]);
            let text = |v: &[u8; CODE_SYMBOLS]| -> String {
                v.iter()
                    .map(|&x| char::from(ALPHABET[usize::from(x)]))
                    .collect()
            };
            assert!(LoginCode::parse(&text(&values)).is_ok());
            for p in 0..CODE_SYMBOLS - 1 {
                if values[p] == values[p + 1] {
                    continue;
                }
                let mut typed = values;
                typed.swap(p, p + 1);
                let missed = LoginCode::parse(&text(&typed)).is_ok();
                let is_zero_z = p < DATA_SYMBOLS
                    && typed[p].max(typed[p + 1]) == 31
                    && typed[p].min(typed[p + 1]) == 0;
                if is_zero_z {
                    zero_z += 1;
                    zero_z_missed += u32::from(missed);
                } else {
                    assert!(!missed, "swap at {p} is caught");
                }
            }
        }
        // About 1 in 32 of the 0/Z swaps get through both checks.
        assert!(zero_z >= 4096);
        assert!(zero_z_missed > 0, "the miss is real");
        assert!(
            zero_z_missed * 16 < zero_z && zero_z_missed * 64 > zero_z,
            "{zero_z_missed} of {zero_z}"
        );
    }

    #[test]
    fn bad_input_is_explained() {
        assert_eq!(
            LoginCode::parse("ABCD").err(),
            Some(CodeError::WrongLength { found: 4 })
        );
        assert_eq!(
            LoginCode::parse("ABCD-EFGH-JKMN-PQRS-TVWX-YZ0*").err(),
            Some(CodeError::InvalidCharacter { position: 29 })
        );
        assert_eq!(
            LoginCode::parse("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2").err(),
            Some(CodeError::WrongLength { found: 25 })
        );
        assert_eq!(
            LoginCode::parse(" a€").err(),
            Some(CodeError::InvalidCharacter { position: 3 })
        );
        assert!(format!("{:?}", LoginCode::generate(&mut rng())).ends_with("(..)"));
    }

    #[test]
    fn derivation_is_deterministic_and_tenant_bound() {
        let cheap = KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let code = LoginCode::generate(&mut rng());
        let acme = TenantId::new("acme").unwrap();
        let other = TenantId::new("other").unwrap();
        let a = MailboxKeys::derive_with(&code, &acme, &cheap).unwrap();
        let b = MailboxKeys::derive_with(&code, &acme, &cheap).unwrap();
        let c = MailboxKeys::derive_with(&code, &other, &cheap).unwrap();
        assert_eq!(a.mailbox_id(), b.mailbox_id());
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(
            a.auth_secret().expose_secret_bytes(),
            b.auth_secret().expose_secret_bytes()
        );
        assert_ne!(a.mailbox_id(), c.mailbox_id());
        assert_ne!(a.public_key(), c.public_key());
        // The three values are independent of each other.
        assert_ne!(
            &a.mailbox_id().0[..],
            &a.auth_secret().expose_secret_bytes()[..16]
        );
    }
}
