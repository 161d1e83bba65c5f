// Runs the measurement off the main thread, as the real page will run
// deriveMailbox.
import { loadMeldkluis } from './meldkluis.js';
import { parseCandidates, runBench } from './bench.js';

self.onmessage = async ({ data }) => {
  try {
    const mk = await loadMeldkluis(new URL('./meldkluis.wasm', import.meta.url));
    const rows = runBench(mk, parseCandidates(data.candidates), data.runs, () => performance.now());
    self.postMessage({ rows, userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack ? error.stack : error) });
  }
};
