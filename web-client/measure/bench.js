// Times mailbox derivation in the wasm, for choosing the Argon2id parameters.
// Shared by the browser page (worker.js) and Node (scripts/measure-argon2.sh).

/** Parses "19456:2:1,47104:1:1" into [{ memoryKib, iterations, parallelism }]. */
export function parseCandidates(text) {
  return text.split(',').map((triple) => {
    const [memoryKib, iterations, parallelism] = triple.split(':').map(Number);
    return { memoryKib, iterations, parallelism };
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * Runs every candidate `runs` times (after one untimed warm-up of the
 * largest, so the wasm memory has already grown) and then the production
 * parameters through deriveMailbox. Returns rows of milliseconds.
 */
export function runBench(mk, candidates, runs, now) {
  const code = mk.generateLoginCode();
  const tenant = 'measure';
  const largest = candidates.reduce((a, b) => (b.memoryKib > a.memoryKib ? b : a));
  mk.deriveMailboxWith(code, tenant, { ...largest, iterations: 1 });
  const time = (derive) => {
    const times = [];
    for (let i = 0; i < runs; i += 1) {
      const start = now();
      const mailbox = derive();
      times.push(now() - start);
      mailbox.secretKey.fill(0);
      mailbox.authSecret.fill(0);
    }
    return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
  };
  const rows = candidates.map((params) => ({ ...params, ...time(() => mk.deriveMailboxWith(code, tenant, params)) }));
  rows.push({ production: true, ...time(() => mk.deriveMailbox(code, tenant)) });
  return rows;
}
