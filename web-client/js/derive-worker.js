// The slow derivations from a code, in a Worker: Argon2id runs for a
// second or so and must not freeze the page. It receives the compiled wasm
// (already checked against its integrity by the page), derives once, answers
// and closes; the page also ends it, which frees the 64 MiB Argon2id used.
//
// Message in: { module, code, tenant, purpose }, where `purpose` is
// 'mailbox' (a reporter's login code; the default) or 'recipient' (an
// organisation recipient's enrolment code). Message out: { mailbox }
// (deriveMailbox's object) or { recipient: { secretKey, publicKey } }, or
// { error: { kind, message, found, position } }.

import { loadMeldkluis } from './meldkluis.js';

self.onmessage = async ({ data: { module, code, tenant, purpose = 'mailbox' } }) => {
  try {
    const mk = await loadMeldkluis(module);
    if (purpose === 'recipient') {
      const recipient = mk.deriveRecipient(code, tenant);
      self.postMessage({ recipient }, [recipient.secretKey.buffer, recipient.publicKey.buffer]);
    } else if (purpose === 'mailbox') {
      const mailbox = mk.deriveMailbox(code, tenant);
      self.postMessage({ mailbox }, [
        mailbox.mailboxId.buffer,
        mailbox.authSecret.buffer,
        mailbox.publicKey.buffer,
        mailbox.secretKey.buffer,
      ]);
    } else {
      throw new TypeError(`unknown purpose ${purpose}`);
    }
  } catch (error) {
    self.postMessage({ error: { kind: error.kind ?? 'failed', message: error.message, found: error.found, position: error.position } });
  }
  self.close();
};
