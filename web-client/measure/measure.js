// Starts the measurement worker and posts its result back to the server that
// served this page (scripts/measure-argon2.sh), which prints it.
const params = new URLSearchParams(location.search);
const output = document.getElementById('result');
const worker = new Worker('./worker.js', { type: 'module' });
worker.onmessage = async ({ data }) => {
  output.textContent = JSON.stringify(data, null, 2);
  await fetch('./result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
};
worker.onerror = async (event) => {
  const data = { error: `worker failed: ${event.message}` };
  output.textContent = data.error;
  await fetch('./result', { method: 'POST', body: JSON.stringify(data) });
};
worker.postMessage({ candidates: params.get('candidates'), runs: Number(params.get('runs') || 3) });
