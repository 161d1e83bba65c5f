// What the reporter's pages share: the page's data, texts, the wasm
// (loaded with its integrity checked), the derivation Worker, and calls to
// the API. No cryptography happens here: it is all in the wasm.

import { loadMeldkluis, MeldkluisError, wipe } from './meldkluis.js';

export { MeldkluisError, wipe };

/** The page's data block (ids, URLs, integrity values, texts). */
export function pageData() {
  return JSON.parse(document.getElementById('mk-data').textContent);
}

/** A text of the page's language, with `{ $name }` placeholders filled. */
export function text(data, id, args = {}) {
  const template = data.texts[id] ?? id;
  return template.replace(/\{\s*\$([a-z_]+)\s*\}/g, (_, name) => String(args[name] ?? ''));
}

/** "1 december 2026" from "2026-12-01", in the page's language. */
export function formatDay(data, day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!match) return day ?? '';
  return `${Number(match[3])} ${data.months[Number(match[2]) - 1]} ${match[1]}`;
}

/** "12 kB" for a number of bytes. */
export function formatSize(data, bytes) {
  if (bytes >= 1_000_000) return text(data, 'js-size-mb', { size: Math.floor(bytes / 1_000_000) });
  if (bytes >= 1_000) return text(data, 'js-size-kb', { size: Math.floor(bytes / 1_000) });
  return text(data, 'js-size-bytes', { size: bytes });
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(textValue) {
  if (!/^([0-9a-f]{2})*$/i.test(textValue)) throw new TypeError('not hex');
  const bytes = new Uint8Array(textValue.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(textValue.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function unbase64(textValue) {
  const binary = atob(textValue);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Fetches a file of the bundle and refuses it unless its SHA-384 matches. */
async function fetchChecked(asset) {
  const response = await fetch(asset.url, { integrity: asset.integrity, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${asset.url}: HTTP ${response.status}`);
  return response;
}

/**
 * Loads the wasm once: { mk, module }. `mk` runs on this thread (sealing,
 * opening); `module` is handed to the derivation Worker.
 */
export async function loadCrypto(data) {
  const bytes = await (await fetchChecked(data.wasm)).arrayBuffer();
  const module = await WebAssembly.compile(bytes);
  return { mk: await loadMeldkluis(module), module };
}

/**
 * Derives the mailbox from a login code in a Worker (Argon2id takes a
 * second or so; the page stays responsive). The Worker's code is fetched
 * with its integrity checked and started from a blob, gets the compiled
 * wasm, answers once and is ended, which frees its memory.
 */
export async function deriveMailbox(data, module, code) {
  return (await deriveInWorker(data, { module, code, tenant: data.tenant })).mailbox;
}

/**
 * Derives an organisation recipient's key pair ({ secretKey, publicKey })
 * from an enrolment code, in the same Worker (the same Argon2id cost).
 */
export async function deriveRecipient(data, module, code) {
  return (await deriveInWorker(data, { module, code, tenant: data.tenant, purpose: 'recipient' })).recipient;
}

async function deriveInWorker(data, request) {
  const source = await (await fetchChecked(data.worker)).blob();
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = ({ data: answer }) => {
        if (answer.error) reject(new MeldkluisError(answer.error.kind, answer.error.message, answer.error));
        else resolve(answer);
      };
      worker.onerror = (event) => reject(new Error(event.message || 'the key derivation failed'));
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

/** An error answer of the API, with its stable code and translated text. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** A network failure: nothing reached the server, or no answer came back. */
export class NetworkError extends Error {}

/**
 * An answer this page cannot use: not JSON where JSON was due, or JSON of
 * the wrong shape. A server (or something between) that answers garbage
 * gets this clear message, never a crash or a half-shown page.
 */
export class BadAnswerError extends Error {
  constructor(what) {
    super(`unexpected answer: ${what}`);
    this.name = 'BadAnswerError';
  }
}

/**
 * Calls the API. `body`: an object (sent as JSON) or bytes (sent as
 * application/octet-stream). Returns the parsed JSON, the bytes (`as:
 * 'bytes'`) or null for an empty answer.
 */
export async function api(data, path, { method = 'GET', body, token, as = 'json' } = {}) {
  const headers = { 'Accept-Language': data.lang };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof Uint8Array) {
    headers['Content-Type'] = 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`${data.api}${path}`, {
      method,
      headers,
      body: payload,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  if (!response.ok) {
    let answer = {};
    try {
      answer = await response.json();
    } catch {
      // Not JSON (a proxy's page): the status is all there is.
    }
    throw new ApiError(response.status, answer.error?.code ?? 'unknown', answer.error?.message ?? `HTTP ${response.status}`);
  }
  try {
    if (as === 'bytes') return new Uint8Array(await response.arrayBuffer());
    if (response.status === 204) return null;
    return await response.json();
  } catch (error) {
    // The body broke off (a network failure) or is not JSON (garbage).
    if (error instanceof SyntaxError) throw new BadAnswerError(path);
    throw new NetworkError(error.message);
  }
}

/** Shows `message` in a live region (screen readers announce it). */
export function announce(element, message) {
  element.textContent = message;
}

/** Reads a file into bytes. */
export async function readFile(file) {
  return new Uint8Array(await file.arrayBuffer());
}

/** Offers `bytes` as a download named `name`. */
export function download(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Shows or clears the error line of a field and marks the field invalid. */
export function fieldError(id, message) {
  const line = document.getElementById(`error-${id}`);
  const field = document.getElementById(id);
  if (line) {
    line.textContent = message ?? '';
    line.hidden = !message;
  }
  if (field) {
    if (message) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
  }
}

/** The text of an error for a person: translated API text, or a network notice. */
export function describeError(data, error) {
  if (error instanceof NetworkError) return text(data, 'js-network-error');
  if (error instanceof BadAnswerError) return text(data, 'js-bad-answer');
  if (error instanceof ApiError) return text(data, 'js-server-error', { message: error.message });
  return text(data, 'js-server-error', { message: error.message ?? String(error) });
}

/** The content of a report, message or attachment list entry as UTF-8 JSON. */
export function encodeContent(value) {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function decodeContent(bytes) {
  const textValue = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  try {
    return JSON.parse(textValue);
  } catch {
    return { format: 'text', text: textValue };
  }
}
