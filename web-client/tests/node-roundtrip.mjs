// The browser's wasm, driven through its JavaScript glue in Node.
//
//   node web-client/tests/node-roundtrip.mjs [FIXTURE_DIR]
//
// Needs web-client/pkg/ from scripts/build-wasm.sh. Without FIXTURE_DIR it
// checks the wasm on its own (round trips, typing errors, tampering). With
// FIXTURE_DIR (written by web-client/tests/wasm_cross_check.rs) it also
// checks agreement with the native build: it opens the item sealed natively,
// derives the mailbox the native build derived, and seals an item of its own
// into FIXTURE_DIR/node-item.bin for the Rust test to open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const wasmUrl = new URL('../pkg/meldkluis.wasm', import.meta.url);
if (!existsSync(wasmUrl)) {
  console.error(`${fileURLToPath(wasmUrl)} is missing: run scripts/build-wasm.sh first`);
  process.exit(1);
}
const { loadMeldkluis, randomItemId, MeldkluisError, toHex, fromHex } = await import('../pkg/meldkluis.js');
const mk = await loadMeldkluis(wasmUrl);

const fixtureDir = process.argv[2];
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
const utf8 = (bytes) => new TextDecoder().decode(bytes);

// Fixed keys: the wasm-only tests need no Argon2id.
const reporterSecret = new Uint8Array(32).fill(0x11);
const advisorSecret = new Uint8Array(32).fill(0x22);
const strangerSecret = new Uint8Array(32).fill(0x33);
const reporter = mk.publicKey(reporterSecret);
const advisor = mk.publicKey(advisorSecret);

function rejects(fn, kind) {
  assert.throws(fn, (error) => error instanceof MeldkluisError && error.kind === kind);
}

test('an item sealed in the wasm opens in the wasm, for every recipient', () => {
  const itemId = randomItemId();
  const item = mk.sealItem({
    kind: 'report',
    tenant: 'acme',
    itemId,
    reportId: itemId,
    senderSecretKey: reporterSecret,
    recipients: [advisor, reporter],
    content: 'Er wordt gefraudeerd met declaraties.',
  });
  assert.deepEqual([...item.slice(0, 4)], [0x4d, 0x4b, 0x49, 0x02], 'item format version 2');
  for (const readerSecretKey of [advisorSecret, reporterSecret]) {
    const opened = mk.openItem({ item, readerSecretKey, tenant: 'acme', expectedSenders: [reporter] });
    assert.equal(opened.kind, 'report');
    assert.deepEqual(opened.itemId, itemId);
    assert.deepEqual(opened.reportId, itemId);
    assert.deepEqual(opened.sender, reporter);
    assert.deepEqual(opened.recipients, [advisor, reporter]);
    assert.equal(utf8(opened.content), 'Er wordt gefraudeerd met declaraties.');
  }
});

test('every way an item fails to open gives the same could-not-open', () => {
  const itemId = randomItemId();
  const params = { kind: 'message', tenant: 'acme', itemId, reportId: randomItemId() };
  const item = mk.sealItem({ ...params, senderSecretKey: advisorSecret, recipients: [reporter], content: 'x' });
  const open = (changes) =>
    mk.openItem({ item, readerSecretKey: reporterSecret, tenant: 'acme', expectedSenders: [advisor], ...changes });
  assert.equal(utf8(open({}).content), 'x');
  rejects(() => open({ readerSecretKey: strangerSecret }), 'could-not-open');
  rejects(() => open({ expectedSenders: [reporter] }), 'could-not-open');
  rejects(() => open({ tenant: 'other' }), 'could-not-open');
  for (const at of [0, 10, item.length - 1]) {
    const tampered = item.slice();
    tampered[at] ^= 1;
    rejects(() => open({ item: tampered }), 'could-not-open');
  }
  rejects(() => open({ item: item.slice(0, item.length - 1) }), 'could-not-open');
  // The trailer: the reader's own tag (the only one, here) is checked.
  const lastTag = item.slice();
  lastTag[item.length - 32] ^= 1;
  rejects(() => open({ item: lastTag }), 'could-not-open');
});

test('programming errors are reported as invalid input', () => {
  rejects(() => mk.publicKey(new Uint8Array(31)), 'invalid-input');
  rejects(
    () =>
      mk.sealItem({
        kind: 'report',
        tenant: 'Not A Tenant',
        itemId: randomItemId(),
        reportId: randomItemId(),
        senderSecretKey: reporterSecret,
        recipients: [advisor],
        content: '',
      }),
    'invalid-input',
  );
  assert.throws(() => mk.sealItem({ kind: 'memo' }), TypeError);
});

test('login codes are generated, normalised, and typing errors located', () => {
  const code = mk.generateLoginCode();
  assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.notEqual(mk.generateLoginCode(), code, 'randomness comes from crypto.getRandomValues');
  assert.equal(mk.normaliseLoginCode(` ${code.toLowerCase().replaceAll('-', ' ')} `), code);

  rejects(() => mk.normaliseLoginCode(code.slice(0, 9)), 'code-wrong-length');
  try {
    mk.normaliseLoginCode(`✓ ${code.slice(0, 6)}*${code.slice(7)}`);
    assert.fail('accepted a code with a *');
  } catch (error) {
    assert.equal(error.kind, 'code-invalid-character');
    assert.equal(error.position, 1, 'the check mark comes first');
  }
  try {
    mk.normaliseLoginCode(`😀 ${code.slice(0, 6)}*${code.slice(7)}`);
    assert.fail('accepted a code with an emoji');
  } catch (error) {
    assert.equal(error.kind, 'code-invalid-character');
    assert.equal(error.position, 1);
  }
  try {
    mk.normaliseLoginCode(`  ${code.slice(0, 6)}*${code.slice(7)}`);
    assert.fail('accepted a code with a *');
  } catch (error) {
    assert.equal(error.kind, 'code-invalid-character');
    assert.equal(error.position, 9, 'counting the two leading spaces and the dash');
    assert.equal(error.index, 8);
  }
  const typo = (code[0] === 'A' ? 'B' : 'A') + code.slice(1);
  rejects(() => mk.normaliseLoginCode(typo), 'code-check-failed');
});

test('the fingerprint is twelve groups of five digits', () => {
  assert.match(mk.keyFingerprint(advisor), /^\d{5}( \d{5}){11}$/);
});

test('mailbox references match crypto-core\'s vectors', () => {
  const vectors = JSON.parse(
    readFileSync(new URL('../../crypto-core/vectors/mailbox-reference-v1.json', import.meta.url), 'utf8'),
  );
  for (const v of vectors.references) {
    assert.equal(mk.mailboxReference(v.mailbox_public_key), v.reference, v.name);
    assert.equal(mk.mailboxReference(unhex(v.mailbox_public_key)), v.reference, v.name);
  }
  assert.throws(() => mk.mailboxReference('AB'.repeat(32)), TypeError);
  assert.throws(() => mk.mailboxReference('ab'.repeat(31)), TypeError);
});

test('the wasm agrees with the native build', { skip: fixtureDir ? false : 'no fixture directory given' }, () => {
  const fixture = JSON.parse(readFileSync(join(fixtureDir, 'fixture.json'), 'utf8'));
  const keys = Object.fromEntries(Object.entries(fixture.keys).map(([name, value]) => [name, unhex(value)]));

  // 1. Open what the native build sealed: a report from the reporter.
  const native = readFileSync(join(fixtureDir, fixture.native.file));
  const opened = mk.openItem({
    item: native,
    readerSecretKey: keys.advisorSecret,
    tenant: fixture.tenant,
    expectedSenders: [keys.reporterPublic],
  });
  assert.equal(opened.kind, fixture.native.kind);
  assert.equal(hex(opened.itemId), fixture.native.itemId);
  assert.equal(hex(opened.reportId), fixture.native.reportId);
  assert.equal(hex(opened.sender), hex(keys.reporterPublic));
  assert.deepEqual(opened.recipients.map(hex), fixture.native.recipients);
  assert.equal(utf8(opened.content), fixture.native.content);
  // ... and a report stored as version 1.
  const v1 = mk.openItem({
    item: readFileSync(join(fixtureDir, fixture.nativeV1.file)),
    readerSecretKey: keys.advisorSecret,
    tenant: fixture.tenant,
    expectedSenders: [keys.reporterPublic],
  });
  assert.equal(hex(v1.itemId), fixture.nativeV1.itemId);
  assert.equal(utf8(v1.content), fixture.nativeV1.content);

  // 2. The same code gives the same mailbox in the wasm as natively.
  assert.equal(mk.normaliseLoginCode(fixture.mailbox.code.toLowerCase()), fixture.mailbox.code);
  const mailbox = mk.deriveMailbox(fixture.mailbox.code, fixture.tenant);
  assert.equal(hex(mailbox.mailboxId), fixture.mailbox.mailboxId);
  assert.equal(hex(mailbox.authSecret), fixture.mailbox.authSecret);
  assert.equal(hex(mailbox.publicKey), fixture.mailbox.publicKey);
  assert.deepEqual(mk.publicKey(mailbox.secretKey), mailbox.publicKey);

  // 3. The same enrolment code gives the same recipient key; the recipient
  // log-in context and answer match; so does an approval subject's hash.
  const r = fixture.recipient;
  const recipient = mk.deriveRecipient(r.code.toLowerCase(), fixture.tenant);
  assert.equal(hex(recipient.publicKey), r.publicKey);
  assert.deepEqual(mk.publicKey(recipient.secretKey), recipient.publicKey);
  const context = mk.recipientLoginContext(fixture.tenant, r.origin);
  assert.equal(hex(context), r.context);
  assert.equal(hex(mk.answerChallenge(recipient.secretKey, r.challenge, context)), r.answer);
  assert.equal(hex(mk.approvalSubjectHash(fixture.approval.subject)), fixture.approval.hash);

  // 4. Seal the advisor's answer for the native build to open.
  const answer = fixture.node;
  const item = mk.sealItem({
    kind: answer.kind,
    tenant: fixture.tenant,
    itemId: unhex(answer.itemId),
    reportId: unhex(answer.reportId),
    senderSecretKey: keys.advisorSecret,
    recipients: fixture.native.recipients.map(unhex),
    content: answer.content,
  });
  writeFileSync(join(fixtureDir, answer.file), item);
});

// An approval subject as the content formats carry it (hex strings).
const subject = {
  kind: 'forward',
  tenant: 'acme',
  reportId: '11'.repeat(16),
  draftId: '22'.repeat(16),
  version: 1,
  text: 'Melding over ongewenst gedrag.',
  attachments: [{ id: '33'.repeat(16), sha256: '44'.repeat(32), size: 123, name: 'a.pdf', type: 'application/pdf' }],
  recipients: [{ publicKey: '55'.repeat(32), label: 'HR — P. de Boer' }],
};

test('the approval subject hash is the known answer, and every field counts', () => {
  // The known answer of crypto-core/src/approval.rs (hash_known_answer).
  assert.equal(
    toHex(mk.approvalSubjectHash(subject)),
    'a1b767e42d0f1c8b8771c035fc93ab8775a52d2fac722510f67927ef3d2012e0',
  );
  const asBytes = {
    ...subject,
    reportId: fromHex(subject.reportId),
    draftId: fromHex(subject.draftId),
    attachments: [{ ...subject.attachments[0], id: fromHex('33'.repeat(16)), sha256: fromHex('44'.repeat(32)), size: 123n }],
    recipients: [{ ...subject.recipients[0], publicKey: fromHex('55'.repeat(32)) }],
  };
  assert.deepEqual(mk.approvalSubjectHash(asBytes), mk.approvalSubjectHash(subject));
  const base = toHex(mk.approvalSubjectHash(subject));
  const changes = [
    { kind: 'minutes' },
    { tenant: 'acmf' },
    { reportId: '12'.repeat(16) },
    { draftId: '23'.repeat(16) },
    { version: 2 },
    { text: 'Melding over ongewenst gedrag. ' },
    { attachments: [] },
    { attachments: [{ ...subject.attachments[0], sha256: '45'.repeat(32) }] },
    { attachments: [{ ...subject.attachments[0], size: 124 }] },
    { attachments: [{ ...subject.attachments[0], name: 'b.pdf' }] },
    { recipients: [] },
    { recipients: [{ ...subject.recipients[0], label: 'Klachtencommissie' }] },
  ];
  for (const change of changes) {
    assert.notEqual(toHex(mk.approvalSubjectHash({ ...subject, ...change })), base, JSON.stringify(change));
  }
});

test('approval subjects over the limits or malformed are refused', () => {
  rejects(() => mk.approvalSubjectHash({ ...subject, text: 'x'.repeat(1024 * 1024 + 1) }), 'invalid-input');
  rejects(() => mk.approvalSubjectHash({ ...subject, version: 0 }), 'invalid-input');
  rejects(
    () => mk.approvalSubjectHash({ ...subject, attachments: Array(65).fill(subject.attachments[0]) }),
    'invalid-input',
  );
  rejects(
    () => mk.approvalSubjectHash({ ...subject, recipients: Array(17).fill(subject.recipients[0]) }),
    'invalid-input',
  );
  rejects(
    () => mk.approvalSubjectHash({ ...subject, recipients: [{ ...subject.recipients[0], label: 'l'.repeat(1025) }] }),
    'invalid-input',
  );
  assert.throws(() => mk.approvalSubjectHash({ ...subject, kind: 'other' }), TypeError);
  assert.throws(() => mk.approvalSubjectHash({ ...subject, reportId: 'AB'.repeat(16) }), TypeError);
  assert.throws(() => mk.approvalSubjectHash({ ...subject, draftId: '22'.repeat(15) }), TypeError);
  assert.throws(() => mk.approvalSubjectHash({ ...subject, version: 1.5 }), TypeError);
  assert.throws(
    () => mk.approvalSubjectHash({ ...subject, attachments: [{ ...subject.attachments[0], size: -1 }] }),
    TypeError,
  );
});

test('a recipient log-in answer is bound to its context', () => {
  const context = mk.recipientLoginContext('acme', 'https://meld.example');
  const label = 'meldkluis recipient log-in context v1';
  assert.equal(
    toHex(context),
    '0000000000000025' + toHex(new TextEncoder().encode(label)) + '0000000000000004' + toHex(new TextEncoder().encode('acme')) +
      '0000000000000014' + toHex(new TextEncoder().encode('https://meld.example')),
  );
  const challenge = new Uint8Array(64);
  challenge.set(advisor, 0); // any valid point as the server's ephemeral key
  challenge.fill(7, 32);
  const answer = mk.answerChallenge(reporterSecret, challenge, context);
  assert.equal(answer.length, 32);
  const elsewhere = mk.answerChallenge(reporterSecret, challenge, mk.recipientLoginContext('acme', 'https://meld.example.evil'));
  assert.notDeepEqual(elsewhere, answer);
  rejects(() => mk.answerChallenge(reporterSecret, new Uint8Array(64), context), 'invalid-input');
  assert.throws(() => mk.answerChallenge(reporterSecret, challenge.slice(0, 63), context), TypeError);
  rejects(() => mk.recipientLoginContext('acme', ''), 'invalid-input');
});
