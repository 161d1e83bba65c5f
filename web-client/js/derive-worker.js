// The login-code derivation, in a Worker: Argon2id runs for a second or so
// and must not freeze the page. It receives the compiled wasm (already
// checked against its integrity by the page), derives once, answers and
// closes; the page also ends it, which frees the 64 MiB Argon2id used.

import { loadMeldkluis } from './meldkluis.js';

self.onmessage = async ({ data: { module, code, tenant } }) => {
  try {
    const mk = await loadMeldkluis(module);
    const mailbox = mk.deriveMailbox(code, tenant);
    self.postMessage({ mailbox }, [
      mailbox.mailboxId.buffer,
      mailbox.authSecret.buffer,
      mailbox.publicKey.buffer,
      mailbox.secretKey.buffer,
    ]);
  } catch (error) {
    self.postMessage({ error: { kind: error.kind ?? 'failed', message: error.message, found: error.found, position: error.position } });
  }
  self.close();
};
