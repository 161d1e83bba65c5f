// meldkluis crypto for the browser (and Node 20+): a thin wrapper around
// meldkluis.wasm, which is crypto-core compiled for wasm32.
//
// No dependencies, no inline code, no eval: it can be served under a strict
// CSP (the page needs `script-src 'self' 'wasm-unsafe-eval'` to compile the
// wasm). All cryptography happens in the wasm; this file only moves bytes and
// supplies randomness from crypto.getRandomValues, because the wasm imports
// nothing. The request and response encoding is documented in
// web-client/src/wire.rs.
//
//   import { loadMeldkluis } from './meldkluis.js';
//   const mk = await loadMeldkluis();          // meldkluis.wasm beside this file
//   const code = mk.generateLoginCode();
//   const mailbox = mk.deriveMailbox(code, 'acme');   // ~1 s: run in a Worker
//   const recipient = mk.deriveRecipient(enrolmentCode, 'acme');   // likewise

const KIND_CODES = { report: 1, message: 2, attachment: 3 };
const KIND_NAMES = { 1: 'report', 2: 'message', 3: 'attachment' };
const ID_LEN = 16;
const KEY_LEN = 32;
const RANDOM_LEN = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * An error from the wasm. `kind` is one of:
 * - 'invalid-input'           a programming error (wrong length, bad tenant id); `message` says what
 * - 'code-wrong-length'       `found`: how many symbols the typed code has
 * - 'code-invalid-character'  `position`: 1-based, in characters of the typed text; `index`: the
 *                             same place as a 0-based index into the JS string (UTF-16 units)
 * - 'code-check-failed'       the code has a typing error
 * - 'code-invalid'            the code was refused for another reason
 * - 'could-not-open'          the item cannot be opened (deliberately no reason)
 * - 'wasm-trap'               the wasm stopped; load a fresh instance
 */
export class MeldkluisError extends Error {
  constructor(kind, message, details = {}) {
    super(message);
    this.name = 'MeldkluisError';
    this.kind = kind;
    Object.assign(this, details);
  }
}

/** Overwrites a buffer that held a secret. */
export function wipe(bytes) {
  if (bytes instanceof Uint8Array) bytes.fill(0);
}

function randomBytes(length) {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** A fresh random 16-byte item id (also used as a report id). */
export function randomItemId() {
  return randomBytes(ID_LEN);
}

function bytesOf(value, what) {
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`${what} must be a Uint8Array or a string`);
}

const HEX = /^[0-9a-f]*$/;
const SUBJECT_KINDS = { forward: 1, minutes: 2 };

/** Lowercase hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes of lowercase hex (as the content formats write it); throws a TypeError otherwise. */
export function fromHex(text, what = 'value') {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !HEX.test(text)) {
    throw new TypeError(`${what} must be lowercase hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Exactly `length` bytes, given as a Uint8Array or as lowercase hex. */
function fixedBytes(value, length, what) {
  const bytes = typeof value === 'string' ? fromHex(value, what) : value;
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new TypeError(`${what} must be ${length} bytes (a Uint8Array or ${2 * length} lowercase hex characters)`);
  }
  return bytes;
}

function u32le(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(`${what} must be an integer from 0 to 2^32 - 1`);
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

function u64le(value, what) {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (big < 0n || big > 0xffffffffffffffffn) throw new TypeError(`${what} must be a non-negative integer`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big, true);
  return out;
}

function text(value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  return encoder.encode(value);
}

function concatKeys(keys, what) {
  const out = new Uint8Array(keys.length * KEY_LEN);
  keys.forEach((key, i) => {
    if (!(key instanceof Uint8Array) || key.length !== KEY_LEN) {
      throw new TypeError(`${what}[${i}] must be a ${KEY_LEN}-byte Uint8Array`);
    }
    out.set(key, i * KEY_LEN);
  });
  return out;
}

/** The index in `typed` (UTF-16 units) of its `position`-th character (1-based, in code points). */
function indexOfCharacter(typed, position) {
  let seen = 0;
  let index = 0;
  for (const ch of typed) {
    seen += 1;
    if (seen === position) return index;
    index += ch.length;
  }
  return -1;
}

function errorFor(status, body, typed) {
  const text = () => {
    try {
      return decoder.decode(body);
    } catch {
      return '';
    }
  };
  const number = () => (body.length === 4 ? new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true) : -1);
  switch (status) {
    case 1:
      return new MeldkluisError('invalid-input', `invalid input: ${text()}`);
    case 2: {
      const found = number();
      return new MeldkluisError('code-wrong-length', `a login code has 24 characters; this has ${found}`, { found });
    }
    case 3: {
      const position = number();
      const index = typeof typed === 'string' ? indexOfCharacter(typed, position) : -1;
      return new MeldkluisError('code-invalid-character', `character ${position} cannot be part of a login code`, {
        position,
        index,
      });
    }
    case 4:
      return new MeldkluisError('code-check-failed', 'this login code contains a typing error');
    case 5:
      return new MeldkluisError('code-invalid', text() || 'not a login code');
    case 6:
      return new MeldkluisError('could-not-open', 'could not open');
    default:
      return new MeldkluisError('invalid-input', `unknown status ${status} from the wasm`);
  }
}

function isNode() {
  return typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
}

async function instantiate(source) {
  const imports = {};
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, imports);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return (await WebAssembly.instantiate(source, imports)).instance;
  }
  const plainPath = typeof source === 'string' && isNode() && !/^[a-z][a-z0-9+.-]*:/i.test(source);
  const url = source instanceof URL || plainPath ? source : new URL(String(source), globalThis.location?.href);
  if (plainPath || url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return (await WebAssembly.instantiate(await readFile(url), imports)).instance;
  }
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  if (WebAssembly.instantiateStreaming && response.headers.get('content-type') === 'application/wasm') {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance;
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance;
}

/**
 * Loads the wasm. `source` is a URL (default: meldkluis.wasm beside this
 * file), a file path (Node), the wasm's bytes, or a compiled WebAssembly.Module.
 */
export async function loadMeldkluis(source = new URL('./meldkluis.wasm', import.meta.url)) {
  return new Meldkluis(await instantiate(source));
}

/** One instance of the wasm. Calls are synchronous; keep slow ones (deriveMailbox) in a Worker. */
export class Meldkluis {
  #exports;
  #broken = false;

  constructor(instance) {
    this.#exports = instance.exports;
  }

  /** Sends one request (a list of byte fields) and returns the response body, or throws. */
  #call(operation, fields, typed) {
    if (this.#broken) throw new MeldkluisError('wasm-trap', 'the wasm stopped earlier; load it again');
    const exports = this.#exports;
    const length = fields.reduce((sum, field) => sum + 4 + field.length, 0);
    const request = exports.alloc(length);
    let response;
    try {
      // Views are made after alloc: memory growth detaches old views.
      const memory = new Uint8Array(exports.memory.buffer, request, length);
      const view = new DataView(exports.memory.buffer, request, length);
      let offset = 0;
      for (const field of fields) {
        view.setUint32(offset, field.length, true);
        memory.set(field, offset + 4);
        offset += 4 + field.length;
      }
      response = exports[operation](request, length);
    } catch (error) {
      this.#broken = true;
      throw new MeldkluisError('wasm-trap', `the wasm stopped in ${operation}: ${error.message}`);
    } finally {
      if (!this.#broken) exports.dealloc(request, length);
    }
    const memory = new Uint8Array(exports.memory.buffer);
    const status = memory[response];
    const bodyLength = new DataView(exports.memory.buffer).getUint32(response + 1, true);
    const body = memory.slice(response + 5, response + 5 + bodyLength);
    exports.dealloc(response, 5 + bodyLength);
    if (status !== 0) throw errorFor(status, body, typed);
    return body;
  }

  #callWithRandom(operation, fields) {
    const random = randomBytes(RANDOM_LEN);
    try {
      return this.#call(operation, [...fields, random]);
    } finally {
      wipe(random);
    }
  }

  #text(body) {
    const text = decoder.decode(body);
    wipe(body);
    return text;
  }

  /** A fresh login code, as shown: "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01". */
  generateLoginCode() {
    return this.#text(this.#callWithRandom('generate_login_code', []));
  }

  /**
   * Checks a typed code (case, spaces, dashes and look-alikes do not matter)
   * and returns it as shown. Throws a MeldkluisError whose kind says what is
   * wrong, so the form can point at it before any slow derivation.
   */
  normaliseLoginCode(typed) {
    return this.#text(this.#call('normalise_login_code', [encoder.encode(typed)], typed));
  }

  #mailbox(body) {
    let offset = 0;
    const take = (length) => body.slice(offset, (offset += length));
    const mailbox = {
      mailboxId: take(ID_LEN),
      authSecret: take(KEY_LEN),
      publicKey: take(KEY_LEN),
      secretKey: take(KEY_LEN),
    };
    wipe(body);
    return mailbox;
  }

  /**
   * Derives the mailbox from a code and a tenant id: { mailboxId (16 bytes),
   * authSecret (32), publicKey (32), secretKey (32) }. Slow on purpose
   * (Argon2id): call it from a Worker. Wipe authSecret and secretKey when done.
   */
  deriveMailbox(code, tenant) {
    return this.#mailbox(this.#call('derive_mailbox', [encoder.encode(code), encoder.encode(tenant)], code));
  }

  /** Measurement builds only (cargo feature `measure`): deriveMailbox with explicit Argon2id parameters. */
  deriveMailboxWith(code, tenant, { memoryKib, iterations, parallelism = 1 }) {
    if (typeof this.#exports.derive_mailbox_with !== 'function') {
      throw new Error('this wasm was built without the measure feature');
    }
    const params = new Uint8Array(12);
    const view = new DataView(params.buffer);
    view.setUint32(0, memoryKib, true);
    view.setUint32(4, iterations, true);
    view.setUint32(8, parallelism, true);
    return this.#mailbox(
      this.#call('derive_mailbox_with', [encoder.encode(code), encoder.encode(tenant), params], code),
    );
  }

  /**
   * Seals an item. `kind`: 'report' | 'message' | 'attachment'. `itemId`,
   * `reportId`: 16 bytes (randomItemId()). `senderSecretKey`: 32 bytes.
   * `recipients`: 32-byte public keys. `content`: bytes or a string.
   * Returns the item's bytes.
   */
  sealItem({ kind, tenant, itemId, reportId, senderSecretKey, recipients, content }) {
    const code = KIND_CODES[kind];
    if (code === undefined) throw new TypeError(`kind must be one of ${Object.keys(KIND_CODES).join(', ')}`);
    return this.#callWithRandom('seal_item', [
      Uint8Array.of(code),
      encoder.encode(tenant),
      bytesOf(itemId, 'itemId'),
      bytesOf(reportId, 'reportId'),
      bytesOf(senderSecretKey, 'senderSecretKey'),
      concatKeys(recipients, 'recipients'),
      bytesOf(content, 'content'),
    ]);
  }

  /**
   * Opens an item sealed to `readerSecretKey` by one of `expectedSenders`
   * for `tenant`. Returns { kind, itemId, reportId, sender, recipients,
   * content } or throws a MeldkluisError of kind 'could-not-open', whatever
   * the reason.
   */
  openItem({ item, readerSecretKey, tenant, expectedSenders }) {
    const body = this.#call('open_item', [
      bytesOf(item, 'item'),
      bytesOf(readerSecretKey, 'readerSecretKey'),
      encoder.encode(tenant),
      concatKeys(expectedSenders, 'expectedSenders'),
    ]);
    let offset = 0;
    const take = (length) => body.slice(offset, (offset += length));
    const kind = KIND_NAMES[take(1)[0]] ?? 'unknown';
    const itemId = take(ID_LEN);
    const reportId = take(ID_LEN);
    const sender = take(KEY_LEN);
    const count = take(1)[0];
    const recipients = Array.from({ length: count }, () => take(KEY_LEN));
    const content = body.slice(offset);
    wipe(body);
    return { kind, itemId, reportId, sender, recipients, content };
  }

  /**
   * Derives an organisation recipient's key pair (management or forward
   * recipient) from an enrolment code (a code of the same form as a login
   * code) and a tenant id: { secretKey (32 bytes), publicKey (32) }. Slow on
   * purpose (Argon2id): call it from a Worker. Wipe secretKey when done.
   */
  deriveRecipient(code, tenant) {
    const body = this.#call('derive_recipient', [encoder.encode(code), encoder.encode(tenant)], code);
    const recipient = { secretKey: body.slice(0, KEY_LEN), publicKey: body.slice(KEY_LEN, 2 * KEY_LEN) };
    wipe(body);
    return recipient;
  }

  /**
   * The context a recipient's log-in answer is bound to, for `tenant` and
   * the server's origin (`location.origin`, e.g. "https://meld.example").
   */
  recipientLoginContext(tenant, origin) {
    return this.#call('recipient_login_context', [text(tenant, 'tenant'), text(origin, 'origin')]);
  }

  /**
   * Answers a log-in challenge (64 bytes, or 128 hex characters, from the
   * server) with a 32-byte secret key, bound to `context`
   * (recipientLoginContext). Returns the 32-byte answer.
   */
  answerChallenge(secretKey, challenge, context) {
    return this.#call('answer_challenge', [
      fixedBytes(secretKey, KEY_LEN, 'secretKey'),
      fixedBytes(challenge, 2 * KEY_LEN, 'challenge'),
      bytesOf(context, 'context'),
    ]);
  }

  /**
   * The hash of what a reporter approves (web-client/REPORT-CONTENT.md,
   * crypto-core/FORMAT.md "Approval subject hash"), recomputed from the
   * fields as shown. Ids, hashes and keys are Uint8Arrays or lowercase hex
   * (as in the content formats); sizes are numbers or bigints.
   *
   *   approvalSubjectHash({ kind: 'forward' | 'minutes', tenant, reportId, draftId, version, text,
   *     attachments: [{ id, sha256, size, name, type }], recipients: [{ publicKey, label }] })
   *
   * Returns 32 bytes. Throws a MeldkluisError 'invalid-input' for a subject
   * over the limits (text over 1 MiB, over 64 attachments or 16 recipients,
   * a name, type or label over 1 KiB, version 0).
   */
  approvalSubjectHash({ kind, tenant, reportId, draftId, version, text: body, attachments = [], recipients = [] }) {
    const code = SUBJECT_KINDS[kind];
    if (code === undefined) throw new TypeError(`kind must be one of ${Object.keys(SUBJECT_KINDS).join(', ')}`);
    if (!Array.isArray(attachments) || !Array.isArray(recipients)) {
      throw new TypeError('attachments and recipients must be arrays');
    }
    const fields = [
      Uint8Array.of(code),
      text(tenant, 'tenant'),
      fixedBytes(reportId, ID_LEN, 'reportId'),
      fixedBytes(draftId, ID_LEN, 'draftId'),
      u32le(version, 'version'),
      text(body, 'text'),
      u32le(attachments.length, 'attachments.length'),
    ];
    attachments.forEach((a, i) => {
      fields.push(
        fixedBytes(a.id, ID_LEN, `attachments[${i}].id`),
        fixedBytes(a.sha256, KEY_LEN, `attachments[${i}].sha256`),
        u64le(a.size, `attachments[${i}].size`),
        text(a.name, `attachments[${i}].name`),
        text(a.type, `attachments[${i}].type`),
      );
    });
    fields.push(u32le(recipients.length, 'recipients.length'));
    recipients.forEach((r, i) => {
      fields.push(fixedBytes(r.publicKey, KEY_LEN, `recipients[${i}].publicKey`), text(r.label, `recipients[${i}].label`));
    });
    return this.#call('approval_subject_hash', fields);
  }

  /** The public key of a 32-byte secret key. */
  publicKey(secretKey) {
    return this.#call('public_key', [bytesOf(secretKey, 'secretKey')]);
  }

  /** A public key's fingerprint, twelve groups of five digits, to compare aloud. */
  keyFingerprint(publicKey) {
    return decoder.decode(this.#call('key_fingerprint', [bytesOf(publicKey, 'publicKey')]));
  }

  /**
   * A mailbox public key's reference, "XXXX-XXXX-XXXX", which the reporter of
   * a follow-up mailbox reads aloud to the advisor. `publicKey`: 64 lowercase
   * hex characters or 32 bytes.
   */
  mailboxReference(publicKey) {
    return decoder.decode(this.#call('mailbox_reference', [fixedBytes(publicKey, KEY_LEN, 'publicKey')]));
  }
}
