//! The byte encoding between JavaScript and the wasm, and one safe function
//! per operation.
//!
//! A *request* is a sequence of fields, each a little-endian `u32` length
//! followed by that many bytes. A *response* is a [`Status`] byte, a
//! little-endian `u32` body length, and the body. Operations never panic on
//! bad input: a malformed request gets [`Status::InvalidInput`] with the name
//! of the offending field. Error bodies never contain secret bytes.
//!
//! Randomness comes in as a 32-byte field filled by `crypto.getRandomValues`
//! and seeds a ChaCha20 generator for that one call; nothing is kept between
//! calls.
//!
//! | operation | request fields | body on success |
//! |---|---|---|
//! | [`generate_login_code`] | random (32) | code as shown (UTF-8) |
//! | [`normalise_login_code`] | typed code (UTF-8) | code as shown (UTF-8) |
//! | [`derive_mailbox`] | code, tenant | mailbox id (16), auth secret (32), public key (32), secret key (32) |
//! | [`seal_item`] | kind (1), tenant, item id (16), report id (16), sender secret key (32), recipients (32 × n), content, random (32) | the item (format version 2) |
//! | [`open_item`] | item (format version 1 or 2), reader secret key (32), tenant, expected senders (32 × n) | kind (1), item id (16), report id (16), sender (32), n (1), recipients (32 × n), content |
//! | [`key_fingerprint`] | public key (32) | fingerprint (UTF-8) |
//! | [`mailbox_reference`] | public key (32) | reference `XXXX-XXXX-XXXX` (UTF-8) |
//! | [`public_key`] | secret key (32) | public key (32) |
//! | [`derive_recipient`] | enrolment code, tenant | secret key (32), public key (32) |
//! | [`answer_challenge`] | secret key (32), challenge (64), context | answer (32) |
//! | [`recipient_login_context`] | tenant, server origin (UTF-8) | context |
//! | [`approval_subject_hash`] | kind (1), tenant, report id (16), draft id (16), version (`u32` LE, 4), text (UTF-8), n attachments (`u32` LE, 4), then per attachment: item id (16), SHA-256 of the content (32), size (`u64` LE, 8), name (UTF-8), type (UTF-8); n recipients (`u32` LE, 4), then per recipient: public key (32), label (UTF-8) | subject hash (32) |

use meldkluis_crypto_core::approval::{self, SubjectKind};
use meldkluis_crypto_core::challenge::{self, CHALLENGE_LEN};
use meldkluis_crypto_core::mailbox::CodeError;
use meldkluis_crypto_core::{
    open_item as core_open_item, seal_item as core_seal_item, ApprovalSubject, Error, Expect,
    ItemId, ItemKind, LoginCode, MailboxKeys, PublicKey, RecipientKey, SealParams, StaticKey,
    StaticSecret, SubjectAttachment, SubjectRecipient, TenantId, Zeroizing,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Length of the status byte and body length in front of every response.
pub const RESPONSE_HEADER_LEN: usize = 5;
/// Length of the random seed field.
pub const RANDOM_LEN: usize = 32;
/// Length of a mailbox id, item id or report id.
pub const ID_LEN: usize = 16;
/// Length of an X25519 key.
pub const KEY_LEN: usize = 32;

/// The first byte of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Success; the body is the operation's output.
    Ok = 0,
    /// The request was malformed or a value out of range (a caller's bug, not
    /// a user's). Body: what was wrong, as ASCII text.
    InvalidInput = 1,
    /// The typed code has the wrong number of symbols. Body: how many were
    /// found (`u32` LE).
    CodeWrongLength = 2,
    /// The typed code has a character that cannot be in a code. Body: its
    /// 1-based position in the typed text, in characters, counting spaces
    /// and dashes (`u32` LE).
    CodeInvalidCharacter = 3,
    /// The typed code's check symbols do not match: a typing error. Empty body.
    CodeCheckFailed = 4,
    /// The typed code was refused for another reason. Body: ASCII text.
    CodeInvalid = 5,
    /// The item could not be opened. Deliberately the only answer for a wrong
    /// key, an unexpected sender, another tenant or any tampering. Empty body.
    CouldNotOpen = 6,
}

/// A response: status, body length, body. Wiped on drop, because bodies hold
/// secrets (a login code, a mailbox key, opened content).
pub struct Response(Zeroizing<Vec<u8>>);

impl core::fmt::Debug for Response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status())
            .field("body_len", &self.body().len())
            .finish()
    }
}

impl Response {
    /// The status byte (a [`Status`] value).
    pub fn status(&self) -> u8 {
        self.0[0]
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.0[RESPONSE_HEADER_LEN..]
    }

    /// The whole response, in a buffer whose capacity is its length, so that
    /// handing it over as a boxed slice copies nothing (no unwiped copy of a
    /// secret is left behind in freed memory).
    pub fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        if self.0.len() == self.0.capacity() {
            return self.0;
        }
        // Not reached (`Writer` allocates the exact size), but if it were, an
        // exact copy is made and the original is wiped when dropped.
        let mut exact = Vec::with_capacity(self.0.len());
        exact.extend_from_slice(&self.0);
        Zeroizing::new(exact)
    }

    fn failure(status: Status, detail: &[u8]) -> Self {
        let mut out = Writer::new(status, detail.len());
        out.put(detail);
        out.finish()
    }
}

/// Builds a response in one allocation of the exact final size.
struct Writer(Zeroizing<Vec<u8>>);

impl Writer {
    fn new(status: Status, body_len: usize) -> Self {
        let mut bytes = Zeroizing::new(Vec::with_capacity(RESPONSE_HEADER_LEN + body_len));
        bytes.push(status as u8);
        bytes.extend_from_slice(&[0; 4]);
        Self(bytes)
    }

    fn put(&mut self, bytes: &[u8]) {
        debug_assert!(
            self.0.len() + bytes.len() <= self.0.capacity(),
            "body larger than announced"
        );
        self.0.extend_from_slice(bytes);
    }

    fn finish(mut self) -> Response {
        let body_len = self.0.len() - RESPONSE_HEADER_LEN;
        // wasm32 memory is at most 4 GiB, so a body length always fits.
        let body_len = u32::try_from(body_len).unwrap_or(u32::MAX);
        self.0[1..RESPONSE_HEADER_LEN].copy_from_slice(&body_len.to_le_bytes());
        Response(self.0)
    }
}

/// Why an operation failed: a status and a non-secret detail.
#[derive(Debug)]
struct Failure {
    status: Status,
    detail: FailureDetail,
}

#[derive(Debug)]
enum FailureDetail {
    None,
    Text(String),
    Number(u32),
}

impl Failure {
    fn invalid(what: impl Into<String>) -> Self {
        Self {
            status: Status::InvalidInput,
            detail: FailureDetail::Text(what.into()),
        }
    }

    fn could_not_open() -> Self {
        Self {
            status: Status::CouldNotOpen,
            detail: FailureDetail::None,
        }
    }

    /// A crypto-core error from anything but opening (which is always
    /// [`Failure::could_not_open`]). Its text names a field, never a value.
    fn from_core(error: Error) -> Self {
        match error {
            Error::CouldNotOpen => Self::could_not_open(),
            other => Self::invalid(other.to_string()),
        }
    }

    fn from_code(error: CodeError) -> Self {
        let number = |n: usize| FailureDetail::Number(u32::try_from(n).unwrap_or(u32::MAX));
        match error {
            CodeError::WrongLength { found } => Self {
                status: Status::CodeWrongLength,
                detail: number(found),
            },
            CodeError::InvalidCharacter { position } => Self {
                status: Status::CodeInvalidCharacter,
                detail: number(position),
            },
            CodeError::CheckFailed => Self {
                status: Status::CodeCheckFailed,
                detail: FailureDetail::None,
            },
            other => Self {
                status: Status::CodeInvalid,
                detail: FailureDetail::Text(other.to_string()),
            },
        }
    }

    fn into_response(self) -> Response {
        match self.detail {
            FailureDetail::None => Response::failure(self.status, &[]),
            FailureDetail::Text(text) => Response::failure(self.status, text.as_bytes()),
            FailureDetail::Number(n) => Response::failure(self.status, &n.to_le_bytes()),
        }
    }
}

fn respond(result: Result<Response, Failure>) -> Response {
    result.unwrap_or_else(Failure::into_response)
}

/// Reads a request's fields in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn next(&mut self, what: &str) -> Result<&'a [u8], Failure> {
        let missing = || Failure::invalid(format!("missing or truncated field: {what}"));
        let (len, rest) = self.0.split_first_chunk::<4>().ok_or_else(missing)?;
        let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| missing())?;
        if rest.len() < len {
            return Err(missing());
        }
        let (field, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(field)
    }

    fn fixed<const N: usize>(&mut self, what: &str) -> Result<&'a [u8; N], Failure> {
        self.next(what)?
            .try_into()
            .map_err(|_| Failure::invalid(format!("{what} must be {N} bytes")))
    }

    fn text(&mut self, what: &str) -> Result<&'a str, Failure> {
        core::str::from_utf8(self.next(what)?)
            .map_err(|_| Failure::invalid(format!("{what} is not UTF-8")))
    }

    fn tenant(&mut self) -> Result<TenantId, Failure> {
        TenantId::new(self.text("tenant id")?).map_err(Failure::from_core)
    }

    fn secret_key(&mut self, what: &str) -> Result<StaticSecret, Failure> {
        Ok(StaticSecret::from_bytes(*self.fixed::<KEY_LEN>(what)?))
    }

    fn public_keys(&mut self, what: &str) -> Result<Vec<PublicKey>, Failure> {
        let bytes = self.next(what)?;
        if bytes.len() % KEY_LEN != 0 {
            return Err(Failure::invalid(format!(
                "{what} must be a multiple of {KEY_LEN} bytes"
            )));
        }
        bytes
            .chunks_exact(KEY_LEN)
            .map(|key| PublicKey::from_slice(key).map_err(Failure::from_core))
            .collect()
    }

    /// A `u32` LE count of at most `max` (checked before anything is read
    /// for the items it announces).
    fn count(&mut self, what: &str, max: usize) -> Result<usize, Failure> {
        let count = u32::from_le_bytes(*self.fixed(what)?);
        usize::try_from(count)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| Failure::invalid(format!("{what} is more than {max}")))
    }

    fn rng(&mut self) -> Result<ChaCha20Rng, Failure> {
        let seed = Zeroizing::new(*self.fixed::<RANDOM_LEN>("random seed")?);
        Ok(ChaCha20Rng::from_seed(*seed))
    }

    fn end(self) -> Result<(), Failure> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Failure::invalid("unexpected trailing bytes in request"))
        }
    }
}

/// Encodes request fields (for native callers and tests; the browser's glue
/// does the same in JavaScript). Wiped on drop.
pub fn encode_request(fields: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len = fields.iter().map(|f| 4 + f.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    for field in fields {
        let field_len = u32::try_from(field.len()).expect("request fields are shorter than 4 GiB");
        out.extend_from_slice(&field_len.to_le_bytes());
        out.extend_from_slice(field);
    }
    out
}

fn code_response(code: &LoginCode) -> Response {
    let shown = code.expose_display_string();
    let mut out = Writer::new(Status::Ok, shown.len());
    out.put(shown.as_bytes());
    out.finish()
}

/// A fresh login code from 32 random bytes.
pub fn generate_login_code(request: &[u8]) -> Response {
    respond(try_generate_login_code(request))
}

fn try_generate_login_code(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let mut rng = fields.rng()?;
    fields.end()?;
    Ok(code_response(&LoginCode::generate(&mut rng)))
}

/// Checks a typed code and gives it in its canonical, shown form: the
/// browser catches a typing error before spending a second on Argon2id.
pub fn normalise_login_code(request: &[u8]) -> Response {
    respond(try_normalise_login_code(request))
}

fn try_normalise_login_code(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let typed = fields.text("login code")?;
    fields.end()?;
    Ok(code_response(
        &LoginCode::parse(typed).map_err(Failure::from_code)?,
    ))
}

fn mailbox_response(keys: &MailboxKeys) -> Response {
    let mut out = Writer::new(Status::Ok, ID_LEN + 3 * KEY_LEN);
    out.put(&keys.mailbox_id().0);
    out.put(keys.auth_secret().expose_secret_bytes());
    out.put(keys.public_key().as_bytes());
    out.put(keys.key().expose_secret_bytes().as_ref());
    out.finish()
}

/// Derives the mailbox (id, authentication secret, key pair) from a code
/// and a tenant, with the protocol's Argon2id parameters. The slow step.
pub fn derive_mailbox(request: &[u8]) -> Response {
    respond(try_derive_mailbox(request))
}

fn try_derive_mailbox(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let code = LoginCode::parse(fields.text("login code")?).map_err(Failure::from_code)?;
    let tenant = fields.tenant()?;
    fields.end()?;
    Ok(mailbox_response(&MailboxKeys::derive(&code, &tenant)))
}

/// [`derive_mailbox`] with explicit Argon2id parameters, for measuring
/// candidates in a real browser. Extra field: memory in KiB, passes and
/// lanes, each `u32` LE (12 bytes). Never part of a production build.
#[cfg(feature = "measure")]
pub fn derive_mailbox_with(request: &[u8]) -> Response {
    respond(try_derive_mailbox_with(request))
}

#[cfg(feature = "measure")]
fn try_derive_mailbox_with(request: &[u8]) -> Result<Response, Failure> {
    use meldkluis_crypto_core::mailbox::KdfParams;
    let mut fields = Fields(request);
    let code = LoginCode::parse(fields.text("login code")?).map_err(Failure::from_code)?;
    let tenant = fields.tenant()?;
    let raw = fields.fixed::<12>("argon2 parameters")?;
    fields.end()?;
    let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let params = KdfParams {
        memory_kib: word(0),
        iterations: word(4),
        parallelism: word(8),
    };
    let keys = MailboxKeys::derive_with(&code, &tenant, &params).map_err(Failure::from_core)?;
    Ok(mailbox_response(&keys))
}

/// Seals an item held in memory.
pub fn seal_item(request: &[u8]) -> Response {
    respond(try_seal_item(request))
}

fn try_seal_item(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let [kind] = *fields.fixed::<1>("item kind")?;
    let kind = ItemKind::from_code(kind).map_err(Failure::from_core)?;
    let tenant = fields.tenant()?;
    let item_id = ItemId(*fields.fixed("item id")?);
    let report_id = ItemId(*fields.fixed("report id")?);
    let sender = fields.secret_key("sender secret key")?;
    let recipients = fields.public_keys("recipients")?;
    let content = fields.next("content")?;
    let mut rng = fields.rng()?;
    fields.end()?;
    let params = SealParams {
        kind,
        tenant: &tenant,
        item_id,
        report_id,
        sender: &sender,
        recipients: &recipients,
    };
    let item = core_seal_item(&params, content, &mut rng).map_err(Failure::from_core)?;
    let mut out = Writer::new(Status::Ok, item.len());
    out.put(&item);
    Ok(out.finish())
}

/// Opens an item held in memory, if it was sealed to the reader by one of
/// the expected senders for the tenant; otherwise [`Status::CouldNotOpen`],
/// whatever the reason.
pub fn open_item(request: &[u8]) -> Response {
    respond(try_open_item(request))
}

fn try_open_item(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let item = fields.next("item")?;
    let reader = fields.secret_key("reader secret key")?;
    let tenant = fields.tenant()?;
    let senders = fields.public_keys("expected senders")?;
    fields.end()?;
    let expect = Expect {
        tenant: &tenant,
        senders: &senders,
    };
    let opened = core_open_item(item, &reader, &expect).map_err(|_| Failure::could_not_open())?;
    let header = &opened.header;
    let recipient_count = u8::try_from(header.recipients.len())
        .map_err(|_| Failure::invalid("more recipients than the format allows"))?;
    let body_len =
        1 + 2 * ID_LEN + KEY_LEN + 1 + KEY_LEN * header.recipients.len() + opened.content.len();
    let mut out = Writer::new(Status::Ok, body_len);
    out.put(&[header.kind.code()]);
    out.put(&header.item_id.0);
    out.put(&header.report_id.0);
    out.put(header.sender.as_bytes());
    out.put(&[recipient_count]);
    for recipient in &header.recipients {
        out.put(recipient.as_bytes());
    }
    out.put(&opened.content);
    Ok(out.finish())
}

/// The fingerprint of a public key, to compare aloud (an advisor's key as
/// pinned in the reporter's report, say).
pub fn key_fingerprint(request: &[u8]) -> Response {
    respond(try_key_fingerprint(request))
}

fn try_key_fingerprint(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let key = PublicKey::from_bytes(*fields.fixed("public key")?);
    fields.end()?;
    let fingerprint = key.fingerprint();
    let mut out = Writer::new(Status::Ok, fingerprint.len());
    out.put(fingerprint.as_bytes());
    Ok(out.finish())
}

/// The mailbox reference of a mailbox public key (FORMAT.md, "Mailbox
/// reference"), which the reporter of a follow-up mailbox reads aloud.
pub fn mailbox_reference(request: &[u8]) -> Response {
    respond(try_mailbox_reference(request))
}

fn try_mailbox_reference(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let key = PublicKey::from_bytes(*fields.fixed("public key")?);
    fields.end()?;
    let reference = meldkluis_crypto_core::mailbox_reference(&key);
    let mut out = Writer::new(Status::Ok, reference.len());
    out.put(reference.as_bytes());
    Ok(out.finish())
}

/// The public key of a secret key (so the glue need not keep both).
pub fn public_key(request: &[u8]) -> Response {
    respond(try_public_key(request))
}

fn try_public_key(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let secret = fields.secret_key("secret key")?;
    fields.end()?;
    let mut out = Writer::new(Status::Ok, KEY_LEN);
    out.put(secret.public_key().as_bytes());
    Ok(out.finish())
}

/// Derives an organisation recipient's key pair from an enrolment code and
/// a tenant, with the protocol's Argon2id parameters. The slow step, as for
/// a mailbox: run it in the Worker.
pub fn derive_recipient(request: &[u8]) -> Response {
    respond(try_derive_recipient(request))
}

fn try_derive_recipient(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let code = LoginCode::parse(fields.text("enrolment code")?).map_err(Failure::from_code)?;
    let tenant = fields.tenant()?;
    fields.end()?;
    let key = RecipientKey::derive(&code, &tenant);
    let mut out = Writer::new(Status::Ok, 2 * KEY_LEN);
    out.put(key.key().expose_secret_bytes().as_ref());
    out.put(key.public_key().as_bytes());
    Ok(out.finish())
}

/// Answers a log-in challenge with a secret key (an organisation
/// recipient's, derived from its enrolment code) for the given context
/// ([`recipient_login_context`]).
pub fn answer_challenge(request: &[u8]) -> Response {
    respond(try_answer_challenge(request))
}

fn try_answer_challenge(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let key = fields.secret_key("secret key")?;
    let message = fields.fixed::<CHALLENGE_LEN>("challenge")?;
    let context = fields.next("context")?;
    fields.end()?;
    let answer = challenge::answer_challenge(&key, message, context).map_err(Failure::from_core)?;
    let mut out = Writer::new(Status::Ok, answer.len());
    out.put(&answer);
    Ok(out.finish())
}

/// The context an organisation recipient's log-in answer is bound to.
pub fn recipient_login_context(request: &[u8]) -> Response {
    respond(try_recipient_login_context(request))
}

fn try_recipient_login_context(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let tenant = fields.tenant()?;
    let origin = fields.text("server origin")?;
    fields.end()?;
    if origin.is_empty() || !origin.is_ascii() {
        return Err(Failure::invalid("server origin must be non-empty ASCII"));
    }
    let context = meldkluis_crypto_core::recipient_login_context(&tenant, origin);
    let mut out = Writer::new(Status::Ok, context.len());
    out.put(&context);
    Ok(out.finish())
}

/// The hash of what a reporter approves (a forward draft or minutes),
/// recomputed from the fields the reporter is shown.
pub fn approval_subject_hash(request: &[u8]) -> Response {
    respond(try_approval_subject_hash(request))
}

fn try_approval_subject_hash(request: &[u8]) -> Result<Response, Failure> {
    let mut fields = Fields(request);
    let [kind] = *fields.fixed::<1>("subject kind")?;
    let kind = SubjectKind::from_code(kind).map_err(Failure::from_core)?;
    let tenant = fields.tenant()?;
    let report_id = ItemId(*fields.fixed("report id")?);
    let draft_id = *fields.fixed("draft id")?;
    let version = u32::from_le_bytes(*fields.fixed("version")?);
    let text = fields.text("text")?.to_owned();
    let count = fields.count("attachment count", approval::MAX_ATTACHMENTS)?;
    let mut attachments = Vec::with_capacity(count);
    for _ in 0..count {
        attachments.push(SubjectAttachment {
            item_id: ItemId(*fields.fixed("attachment item id")?),
            sha256: *fields.fixed("attachment sha256")?,
            size: u64::from_le_bytes(*fields.fixed("attachment size")?),
            name: fields.text("attachment name")?.to_owned(),
            content_type: fields.text("attachment type")?.to_owned(),
        });
    }
    let count = fields.count("recipient count", approval::MAX_RECIPIENTS)?;
    let mut recipients = Vec::with_capacity(count);
    for _ in 0..count {
        recipients.push(SubjectRecipient {
            public_key: PublicKey::from_bytes(*fields.fixed("recipient public key")?),
            label: fields.text("recipient label")?.to_owned(),
        });
    }
    fields.end()?;
    let subject = ApprovalSubject {
        kind,
        tenant,
        report_id,
        draft_id,
        version,
        text,
        attachments,
        recipients,
    };
    let hash = subject.hash().map_err(Failure::from_core)?;
    let mut out = Writer::new(Status::Ok, hash.len());
    out.put(&hash);
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> &'static [u8] {
        b"acme"
    }

    fn secret(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    fn public(byte: u8) -> [u8; 32] {
        *StaticSecret::from_bytes(secret(byte))
            .public_key()
            .as_bytes()
    }

    fn seal(sender: u8, recipients: &[u8], content: &[u8]) -> Response {
        let recipients: Vec<u8> = recipients.iter().flat_map(|&r| public(r)).collect();
        seal_item(&encode_request(&[
            &[ItemKind::Message.code()],
            tenant(),
            &[1; 16],
            &[2; 16],
            &secret(sender),
            &recipients,
            content,
            &[9; 32],
        ]))
    }

    fn open(item: &[u8], reader: u8, senders: &[u8]) -> Response {
        let senders: Vec<u8> = senders.iter().flat_map(|&s| public(s)).collect();
        open_item(&encode_request(&[
            item,
            &secret(reader),
            tenant(),
            &senders,
        ]))
    }

    #[test]
    fn seal_and_open_round_trip_through_the_wire() {
        let sealed = seal(3, &[4, 5], b"hello");
        assert_eq!(sealed.status(), Status::Ok as u8);
        let opened = open(sealed.body(), 4, &[7, 3]);
        assert_eq!(opened.status(), Status::Ok as u8);
        let body = opened.body();
        assert_eq!(body[0], ItemKind::Message.code());
        assert_eq!(&body[1..17], &[1; 16]);
        assert_eq!(&body[17..33], &[2; 16]);
        assert_eq!(&body[33..65], &public(3));
        assert_eq!(body[65], 2);
        assert_eq!(&body[66..98], &public(4));
        assert_eq!(&body[98..130], &public(5));
        assert_eq!(&body[130..], b"hello");
        let length = u32::from_le_bytes(opened.0[1..5].try_into().unwrap()) as usize;
        assert_eq!(length, body.len());
    }

    #[test]
    fn every_opening_failure_is_the_same_empty_answer() {
        let sealed = seal(3, &[4], b"hello");
        let mut tampered = sealed.body().to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        for response in [
            open(sealed.body(), 5, &[3]),        // not a recipient
            open(sealed.body(), 4, &[6]),        // unexpected sender
            open(&tampered, 4, &[3]),            // tampered payload
            open(&sealed.body()[..40], 4, &[3]), // truncated
            open(b"", 4, &[3]),
        ] {
            assert_eq!(response.status(), Status::CouldNotOpen as u8);
            assert!(response.body().is_empty());
        }
    }

    #[test]
    fn malformed_requests_are_refused_not_panicked_on() {
        for request in [&b""[..], &[1, 0, 0], &[200, 0, 0, 0, 1]] {
            for op in [
                generate_login_code,
                normalise_login_code,
                derive_mailbox,
                seal_item,
                open_item,
                derive_recipient,
                answer_challenge,
                recipient_login_context,
                approval_subject_hash,
                mailbox_reference,
            ] {
                assert_eq!(op(request).status(), Status::InvalidInput as u8);
            }
        }
        let seed_too_short = generate_login_code(&encode_request(&[&[0; 31]]));
        assert_eq!(seed_too_short.body(), b"random seed must be 32 bytes");
        let extra_field = generate_login_code(&encode_request(&[&[0; 32], b""]));
        assert_eq!(extra_field.status(), Status::InvalidInput as u8);
        let bad_kind = seal_item(&encode_request(&[&[9]]));
        assert_eq!(bad_kind.body(), b"malformed item kind");
        let ragged = seal_item(&encode_request(&[
            &[1],
            tenant(),
            &[1; 16],
            &[1; 16],
            &[1; 32],
            &[0; 33],
        ]));
        assert_eq!(ragged.body(), b"recipients must be a multiple of 32 bytes");
    }

    #[test]
    fn mailbox_reference_through_the_wire() {
        let key = public(4);
        let response = mailbox_reference(&encode_request(&[&key]));
        assert_eq!(response.status(), Status::Ok as u8);
        assert_eq!(
            response.body(),
            meldkluis_crypto_core::mailbox_reference(&PublicKey::from_bytes(key)).as_bytes()
        );
        let short = mailbox_reference(&encode_request(&[&[0; 31]]));
        assert_eq!(short.body(), b"public key must be 32 bytes");
    }

    #[test]
    fn codes_are_generated_and_typing_errors_explained() {
        let code = generate_login_code(&encode_request(&[&[7; 32]]));
        assert_eq!(code.status(), Status::Ok as u8);
        let shown = core::str::from_utf8(code.body()).unwrap().to_owned();
        assert_eq!(shown.len(), 29);

        let sloppy = shown.to_lowercase().replace('-', " ");
        let normalised = normalise_login_code(&encode_request(&[sloppy.as_bytes()]));
        assert_eq!(
            (normalised.status(), normalised.body()),
            (Status::Ok as u8, shown.as_bytes())
        );

        let short = normalise_login_code(&encode_request(&[b"ABCD-EFGH"]));
        assert_eq!(
            (short.status(), short.body()),
            (Status::CodeWrongLength as u8, &8u32.to_le_bytes()[..])
        );

        let mut star = shown.clone();
        star.replace_range(5..6, "*");
        let bad = normalise_login_code(&encode_request(&[star.as_bytes()]));
        assert_eq!(
            (bad.status(), bad.body()),
            (Status::CodeInvalidCharacter as u8, &6u32.to_le_bytes()[..])
        );

        let mut typo = shown.into_bytes();
        typo[0] = if typo[0] == b'A' { b'B' } else { b'A' };
        let typo = normalise_login_code(&encode_request(&[&typo]));
        assert_eq!(
            (typo.status(), typo.body()),
            (Status::CodeCheckFailed as u8, &b""[..])
        );
    }

    #[test]
    fn derive_recipient_gives_the_cores_key_pair() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let code = LoginCode::generate(&mut rng);
        let shown = code.expose_display_string();
        let sloppy = shown.to_lowercase().replace('-', " ");
        let response = derive_recipient(&encode_request(&[sloppy.as_bytes(), b"acme"]));
        assert_eq!(response.status(), Status::Ok as u8);
        let expected = RecipientKey::derive(&code, &TenantId::new("acme").unwrap());
        assert_eq!(
            &response.body()[..32],
            expected.key().expose_secret_bytes().as_ref()
        );
        assert_eq!(&response.body()[32..], expected.public_key().as_bytes());
        // Not the mailbox of the same code.
        let mailbox = derive_mailbox(&encode_request(&[shown.as_bytes(), b"acme"]));
        assert_ne!(&mailbox.body()[48..80], &response.body()[32..]);

        let mut typo = shown.as_bytes().to_vec();
        typo[0] = if typo[0] == b'A' { b'B' } else { b'A' };
        let typo = derive_recipient(&encode_request(&[&typo, b"acme"]));
        assert_eq!(typo.status(), Status::CodeCheckFailed as u8);
        let bad_tenant = derive_recipient(&encode_request(&[shown.as_bytes(), b"Acme"]));
        assert_eq!(
            (bad_tenant.status(), bad_tenant.body()),
            (Status::InvalidInput as u8, &b"malformed tenant id"[..])
        );
    }

    #[test]
    fn recipient_log_in_through_the_wire() {
        use meldkluis_crypto_core::challenge::{login_context, ServerChallenge};
        let tenant = TenantId::new("acme").unwrap();
        let origin = "https://meld.example";
        let context = recipient_login_context(&encode_request(&[b"acme", origin.as_bytes()]));
        assert_eq!(context.status(), Status::Ok as u8);
        assert_eq!(
            context.body(),
            meldkluis_crypto_core::recipient_login_context(&tenant, origin)
        );
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let (server, challenge) = ServerChallenge::new(&mut rng, context.body());
        let answer = answer_challenge(&encode_request(&[&secret(7), &challenge, context.body()]));
        assert_eq!(answer.status(), Status::Ok as u8);
        assert!(server.verify(&PublicKey::from_bytes(public(7)), answer.body()));
        // The same key answering as if this were an advisor log-in.
        let as_advisor = answer_challenge(&encode_request(&[
            &secret(7),
            &challenge,
            &login_context(&tenant, origin),
        ]));
        assert!(!server.verify(&PublicKey::from_bytes(public(7)), as_advisor.body()));

        let short = answer_challenge(&encode_request(&[&secret(7), &challenge[..63], b""]));
        assert_eq!(short.body(), b"challenge must be 64 bytes");
        let mut low_order = challenge;
        low_order[..32].fill(0);
        let refused = answer_challenge(&encode_request(&[&secret(7), &low_order, b""]));
        assert_eq!(
            (refused.status(), refused.body()),
            (Status::InvalidInput as u8, &b"key agreement failed"[..])
        );
        for origin in [&b""[..], "https://mëld.example".as_bytes()] {
            let bad = recipient_login_context(&encode_request(&[b"acme", origin]));
            assert_eq!(bad.body(), b"server origin must be non-empty ASCII");
        }
    }

    fn subject() -> ApprovalSubject {
        ApprovalSubject {
            kind: SubjectKind::Forward,
            tenant: TenantId::new("acme").unwrap(),
            report_id: ItemId([0x11; 16]),
            draft_id: [0x22; 16],
            version: 3,
            text: "Melding over ongewenst gedrag.".into(),
            attachments: vec![
                SubjectAttachment {
                    item_id: ItemId([0x33; 16]),
                    sha256: [0x44; 32],
                    size: 123,
                    name: "a.pdf".into(),
                    content_type: "application/pdf".into(),
                },
                SubjectAttachment {
                    item_id: ItemId([0x34; 16]),
                    sha256: [0x45; 32],
                    size: 1 << 33,
                    name: "foto.jpg".into(),
                    content_type: "image/jpeg".into(),
                },
            ],
            recipients: vec![SubjectRecipient {
                public_key: PublicKey::from_bytes(public(8)),
                label: "HR — P. de Boer".into(),
            }],
        }
    }

    fn subject_request(s: &ApprovalSubject) -> Vec<Vec<u8>> {
        let mut fields = vec![
            vec![s.kind.code()],
            s.tenant.as_str().as_bytes().to_vec(),
            s.report_id.0.to_vec(),
            s.draft_id.to_vec(),
            s.version.to_le_bytes().to_vec(),
            s.text.as_bytes().to_vec(),
            (s.attachments.len() as u32).to_le_bytes().to_vec(),
        ];
        for a in &s.attachments {
            fields.push(a.item_id.0.to_vec());
            fields.push(a.sha256.to_vec());
            fields.push(a.size.to_le_bytes().to_vec());
            fields.push(a.name.as_bytes().to_vec());
            fields.push(a.content_type.as_bytes().to_vec());
        }
        fields.push((s.recipients.len() as u32).to_le_bytes().to_vec());
        for r in &s.recipients {
            fields.push(r.public_key.as_bytes().to_vec());
            fields.push(r.label.as_bytes().to_vec());
        }
        fields
    }

    fn hash_of(fields: &[Vec<u8>]) -> Response {
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        approval_subject_hash(&encode_request(&refs))
    }

    #[test]
    fn approval_subject_hash_through_the_wire() {
        let s = subject();
        let response = hash_of(&subject_request(&s));
        assert_eq!(response.status(), Status::Ok as u8);
        assert_eq!(response.body(), s.hash().unwrap());
        let minutes = ApprovalSubject {
            kind: SubjectKind::Minutes,
            recipients: vec![],
            ..subject()
        };
        let response = hash_of(&subject_request(&minutes));
        assert_eq!(response.body(), minutes.hash().unwrap());
        assert_ne!(response.body(), s.hash().unwrap());
    }

    #[test]
    fn approval_subject_hash_refuses_bad_requests() {
        let invalid = |fields: &[Vec<u8>], why: &str| {
            let response = hash_of(fields);
            assert_eq!(
                (
                    response.status(),
                    core::str::from_utf8(response.body()).unwrap()
                ),
                (Status::InvalidInput as u8, why)
            );
        };
        let good = subject_request(&subject());
        let mut f = good.clone();
        f[0] = vec![3];
        invalid(&f, "malformed approval subject kind");
        let mut f = good.clone();
        f[4] = 0u32.to_le_bytes().to_vec();
        invalid(
            &f,
            "invalid input: approval subject version must be at least 1",
        );
        let mut f = good.clone();
        f[5] = vec![b'x'; approval::MAX_TEXT_LEN + 1];
        invalid(&f, "invalid input: approval subject text longer than 1 MiB");
        let mut f = good.clone();
        f[5] = vec![0xff];
        invalid(&f, "text is not UTF-8");
        // A count above the limit is refused before its items are read.
        let mut f = good[..6].to_vec();
        f.push(65u32.to_le_bytes().to_vec());
        invalid(&f, "attachment count is more than 64");
        let mut f = good.clone();
        let n = f.len();
        f[n - 3] = 17u32.to_le_bytes().to_vec();
        invalid(&f, "recipient count is more than 16");
        // Fewer attachments than announced, and bytes after the end.
        let mut f = good.clone();
        f[6] = 3u32.to_le_bytes().to_vec();
        invalid(&f, "attachment item id must be 16 bytes");
        let mut f = good.clone();
        f.truncate(f.len() - 1);
        invalid(&f, "missing or truncated field: recipient label");
        let mut f = good.clone();
        f.push(vec![]);
        invalid(&f, "unexpected trailing bytes in request");
        let mut f = good.clone();
        f[9] = vec![1; 7];
        invalid(&f, "attachment size must be 8 bytes");
        let mut f = good;
        f[10] = vec![b'n'; approval::MAX_NAME_LEN + 1];
        invalid(
            &f,
            "invalid input: approval subject attachment name longer than 1 KiB",
        );
    }

    #[test]
    fn responses_are_exactly_sized() {
        let response = public_key(&encode_request(&[&secret(1)]));
        let bytes = response.into_bytes();
        assert_eq!(bytes.len(), bytes.capacity());
        assert_eq!(&bytes[RESPONSE_HEADER_LEN..], &public(1));
        let failure = Response::failure(Status::InvalidInput, b"why").into_bytes();
        assert_eq!(failure.len(), failure.capacity());
    }
}
