// The pages of the organisation's recipients (issue 12): a management
// recipient (directie / OR-rapportage) or a forward recipient (HR /
// klachtencommissie) without a hardware token.
//
// - Enrolment (`/t/{tenant}/enrol#<invitation>`): make an enrolment code
//   (the same kind of code as a reporter's login code), derive the
//   recipient key from it in the Worker, show the code once to be written
//   down, enrol the public key with the invitation from the link's
//   fragment, and show the key's fingerprint to read aloud to the advisor.
// - Management page (`/t/{tenant}/management`): the code gives the key
//   again; the key answers the server's challenge (bound to this tenant
//   and this page's origin); then every item sealed to the key is opened
//   here. A figures report is shown as tables and charts, printable and as
//   a CSV made in this browser; a forward read-only, with its attachments.
//
// Nothing is kept: no storage, no cookie; the key lives in this page's
// memory until log-out or leaving the page. The server chooses what it
// serves, so an item counts only if it opens with an advisor key the
// tenant lists (`GET config`; a documented limit: the server could list
// another key) and is the very item the list names.

import {
  api,
  announce,
  ApiError,
  BadAnswerError,
  decodeContent,
  deriveRecipient,
  describeError,
  download,
  fieldError,
  formatDay,
  formatSize,
  hex,
  loadCrypto,
  MeldkluisError,
  pageData,
  text,
  unhex,
  wipe,
} from './common.js';

const data = pageData();
const $ = (id) => document.getElementById(id);
const crypto = loadCrypto(data);
crypto.catch(() => {});

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

function isHex(value, length) {
  return typeof value === 'string' && value.length === length && /^[0-9a-f]+$/.test(value);
}

function isDay(value) {
  return typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(value);
}

function sameKey(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function codeProblem(error) {
  switch (error.kind) {
    case 'code-wrong-length':
      return text(data, 'js-code-wrong-length', { found: error.found });
    case 'code-invalid-character':
      return text(data, 'js-code-invalid-character', { position: error.position });
    case 'code-check-failed':
    case 'code-invalid':
      return text(data, 'js-code-check-failed');
    default:
      return null;
  }
}

function roleText(role) {
  return role === 'management' || role === 'forward' ? text(data, `mgmt-role-${role}`) : '';
}

// ---------------------------------------------------------------- enrolment

/** The invitation in the link's fragment: 64 hex digits, or null. */
function readInvitation() {
  const fragment = window.location.hash.slice(1).trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(fragment) ? fragment : null;
}

function startEnrolment() {
  const invitation = readInvitation();
  if (!invitation) {
    $('no-invitation').hidden = false;
    return;
  }
  // Switching the language keeps the invitation (it stays in fragments,
  // which browsers never send); it leaves the address bar and this history
  // entry once it is used.
  for (const link of document.querySelectorAll('.language a')) link.hash = window.location.hash;
  let code = null;
  let derived = null;
  let mk = null;

  $('enrol-start').addEventListener('click', async () => {
    let module;
    try {
      ({ mk, module } = await crypto);
    } catch {
      // The wasm did not match its integrity value: no code is made with it.
      $('no-invitation').textContent = text(data, 'js-code-refused');
      $('no-invitation').hidden = false;
      return;
    }
    code = mk.generateLoginCode();
    // Derived while the code is written down (Argon2id takes a while).
    derived = deriveRecipient(data, module, code);
    derived.catch(() => {});
    $('enrol-code').textContent = code;
    $('enrol-screen').hidden = true;
    $('enrol-code-screen').hidden = false;
    $('enrol-code-title').focus();
  });

  const codeFile = () =>
    new TextEncoder().encode(
      [
        text(data, 'mgmt-js-code-file-title', { tenant: data.tenantName }),
        '',
        code,
        '',
        text(data, 'mgmt-js-code-file-where', { url: new URL(data.managementUrl, window.location.href).href }),
        text(data, 'mgmt-js-code-file-warning'),
        '',
      ].join('\r\n'),
    );
  $('copy-code').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code);
      announce($('copy-status'), text(data, 'js-copied'));
    } catch {
      announce($('copy-status'), text(data, 'js-copy-failed'));
    }
  });
  $('download-code').addEventListener('click', () => download(codeFile(), 'meldkluis-enrolment-code.txt', 'text/plain'));
  $('print-code').addEventListener('click', () => window.print());

  $('confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!code) return;
    const canonical = (s) => s.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1').replace(/U/g, 'V');
    const typed = canonical($('confirm-input').value);
    if (typed.length !== 4 || !canonical(code).endsWith(typed)) {
      fieldError('confirm-input', text(data, 'js-confirm-mismatch'));
      $('confirm-input').focus();
      return;
    }
    fieldError('confirm-input', null);
    $('confirm-button').disabled = true;
    $('enrol-progress').hidden = false;
    announce($('enrol-error'), '');
    let key;
    try {
      announce($('enrol-status'), text(data, 'mgmt-js-making-key'));
      key = await derived;
      announce($('enrol-status'), text(data, 'mgmt-js-enrolling'));
      const answer = await api(data, '/recipient/enrol', {
        method: 'POST',
        body: { invitation, public_key: hex(key.publicKey) },
      });
      if (!answer || typeof answer.role !== 'string' || typeof answer.label !== 'string') throw new BadAnswerError('enrolment');
      // The fingerprint read aloud is computed here from the key itself;
      // the server's is only compared with it.
      const fingerprint = mk.keyFingerprint(key.publicKey);
      showEnrolled(answer, fingerprint);
    } catch (error) {
      announce($('enrol-status'), '');
      let message = describeError(data, error);
      if (error instanceof ApiError && error.code === 'invalid_invitation') message = text(data, 'mgmt-js-invitation-refused');
      if (error instanceof ApiError && error.code === 'already_enrolled') message = text(data, 'mgmt-js-already-enrolled');
      announce($('enrol-error'), message);
      $('confirm-button').disabled = false;
      return;
    } finally {
      if (key) wipe(key.secretKey);
      $('enrol-progress').hidden = true;
    }
  });

  function showEnrolled(answer, fingerprint) {
    // The code leaves the page: from now on only the recipient has it. The
    // used invitation leaves the address bar.
    code = null;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    for (const link of document.querySelectorAll('.language a')) link.hash = '';
    $('enrol-code').textContent = '';
    $('enrolled-role').textContent = roleText(answer.role);
    $('enrolled-label').textContent = answer.label;
    $('enrolled-fingerprint').textContent = fingerprint;
    $('fingerprint-warning').hidden = typeof answer.fingerprint !== 'string' || answer.fingerprint === fingerprint;
    $('enrol-code-screen').hidden = true;
    $('enrol-done-screen').hidden = false;
    $('enrol-done-title').focus();
  }

  // Leaving the page forgets the code (a back/forward cache would show
  // it again otherwise); coming back starts afresh.
  window.addEventListener('pagehide', () => {
    code = null;
    derived = null;
    $('enrol-code').textContent = '';
    $('confirm-input').value = '';
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });

  $('enrol-start').disabled = false;
}

// ---------------------------------------------------------- management page

/** The logged-in state: the wasm, the key pair, the token and what was opened. */
let session = null;

async function logIn(event) {
  event.preventDefault();
  const input = $('code-input');
  let mk;
  let module;
  try {
    ({ mk, module } = await crypto);
  } catch {
    fieldError('code-input', text(data, 'js-code-refused'));
    input.focus();
    return;
  }
  let code;
  try {
    code = mk.normaliseLoginCode(input.value);
  } catch (error) {
    const problem = error instanceof MeldkluisError ? codeProblem(error) : null;
    fieldError('code-input', problem ?? describeError(data, error));
    input.focus();
    return;
  }
  fieldError('code-input', null);
  $('login-button').disabled = true;
  $('login-progress').hidden = false;
  announce($('login-status'), text(data, 'mgmt-js-logging-in'));
  let key;
  try {
    key = await deriveRecipient(data, module, code);
    code = null;
    const challenge = await api(data, '/recipient/challenge');
    if (!challenge || typeof challenge.challenge !== 'string' || !isHex(challenge.message, 128)) throw new BadAnswerError('challenge');
    // Bound to this tenant and this page's origin: a look-alike site that
    // relays the real server's challenge gets an answer the server refuses.
    const context = mk.recipientLoginContext(data.tenant, window.location.origin);
    const answer = mk.answerChallenge(key.secretKey, unhex(challenge.message), context);
    const login = await api(data, '/recipient/login', {
      method: 'POST',
      body: { public_key: hex(key.publicKey), challenge: challenge.challenge, answer: hex(answer) },
    });
    if (typeof login?.token !== 'string') throw new BadAnswerError('log-in');
    session = { mk, key, token: login.token };
    input.value = '';
    await showItems();
  } catch (error) {
    if (key) wipe(key.secretKey);
    session = null;
    const message = error instanceof ApiError && error.code === 'login_failed' ? text(data, 'mgmt-js-login-failed') : describeError(data, error);
    fieldError('code-input', message);
    announce($('login-status'), '');
    input.focus();
  } finally {
    $('login-button').disabled = false;
    $('login-progress').hidden = true;
  }
}

/** The advisors' keys the tenant lists: the only senders whose items are shown. */
async function advisorKeys() {
  const config = await api(data, '/config');
  if (!config || !Array.isArray(config.advisors)) throw new BadAnswerError('config');
  return config.advisors
    .filter((a) => a && isHex(a.public_key, 64))
    .map((a) => ({ name: String(a.display_name ?? ''), key: unhex(a.public_key) }));
}

function itemsShaped(list) {
  return (
    list !== null &&
    typeof list === 'object' &&
    Array.isArray(list.items) &&
    list.items.every(
      (i) =>
        i &&
        isHex(i.item_id, 32) &&
        (i.kind === 'figures' || i.kind === 'forward') &&
        isDay(i.posted_day) &&
        (i.attachments === undefined || (Array.isArray(i.attachments) && i.attachments.every((a) => a && isHex(a.item_id, 32)))),
    )
  );
}

/** Opens one listed item: the very item named, a message sealed by a listed advisor. */
async function openListed(listed, advisors) {
  const bytes = await api(data, `/recipient/items/${listed.item_id}`, { token: session.token, as: 'bytes' });
  let opened;
  try {
    opened = session.mk.openItem({
      item: bytes,
      readerSecretKey: session.key.secretKey,
      tenant: data.tenant,
      expectedSenders: advisors.map((a) => a.key),
    });
  } catch {
    return null;
  }
  if (opened.kind !== 'message' || hex(opened.itemId) !== listed.item_id) {
    wipe(opened.content);
    return null;
  }
  return opened;
}

function readJson(bytes) {
  try {
    const value = decodeContent(bytes);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

async function showItems() {
  const [advisors, list] = await Promise.all([advisorKeys(), api(data, '/recipient/items', { token: session.token })]);
  if (!itemsShaped(list)) throw new BadAnswerError('items');
  $('signed-in').textContent = text(data, 'mgmt-js-signed-in-as', { label: String(list.label ?? ''), role: roleText(list.role) });
  const figures = [];
  const forwards = [];
  let unverified = 0;
  let unreadable = 0;
  for (const listed of list.items) {
    const opened = await openListed(listed, advisors);
    if (!opened) {
      unverified += 1;
      continue;
    }
    const content = readJson(opened.content);
    wipe(opened.content);
    const advisor = advisors.find((a) => sameKey(a.key, opened.sender));
    if (listed.kind === 'figures') {
      // A figures report is its own report (report id = item id), for
      // this tenant, and readable by this page.
      if (!sameKey(opened.itemId, opened.reportId)) {
        unverified += 1;
        continue;
      }
      const report = readFigures(content);
      if (!report) {
        unreadable += 1;
        continue;
      }
      figures.push({ listed, report });
    } else {
      const forward = readForward(content);
      if (!forward || forward.recipientKey !== hex(session.key.publicKey)) {
        unverified += 1;
        continue;
      }
      forwards.push({ listed, forward, reportId: opened.reportId, sender: opened.sender, advisor });
    }
  }
  session.figures = figures;
  const warnings = [unverified && text(data, 'mgmt-js-unverified'), unreadable && text(data, 'mgmt-js-figures-unreadable')];
  $('items-warnings').textContent = warnings.filter(Boolean).join(' ');
  $('items-warnings').hidden = unverified + unreadable === 0;
  showFiguresList(figures);
  showForwards(forwards);
  // Each recipient sees the section of its role, and the other only when
  // it holds something there.
  $('figures-section').hidden = list.role === 'forward' && figures.length === 0;
  $('forwards-section').hidden = list.role === 'management' && forwards.length === 0;
  $('login-screen').hidden = true;
  $('items-screen').hidden = false;
  $('management-title').focus();
}

// ------------------------------------------------------------ figures

const TABLES = ['category', 'channel', 'status', 'anonymous', 'closing_reason', 'acknowledgement', 'feedback'];
const FIXED_CELLS = {
  channel: ['web', 'oral', 'meeting'],
  status: ['new', 'acknowledged', 'feedback_given', 'closed'],
  anonymous: ['anonymous', 'named', 'unknown'],
  closing_reason: ['resolved', 'agreed_with_reporter', 'no_response_from_reporter', 'withdrawn', 'not_a_report', 'other'],
  acknowledgement: ['met', 'missed'],
  feedback: ['met', 'missed'],
};
const TIMES = ['acknowledgement', 'feedback', 'closure'];
const SHARES = ['acknowledgement', 'feedback'];
const NO_CATEGORY = '~none';

/** Whether `value` is an object with exactly the keys `required`, and perhaps some of `optional`. */
function hasKeys(value, required, optional = []) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return required.every((k) => keys.includes(k)) && keys.every((k) => required.includes(k) || optional.includes(k));
}

function isCount(value) {
  return value === null || (Number.isSafeInteger(value) && value >= 0);
}

function readPeriod(value) {
  if (typeof value !== 'string') return null;
  let match = /^(\d{4})-Q([1-4])$/.exec(value);
  const period = match
    ? { text: value, year: Number(match[1]), quarter: Number(match[2]) }
    : (match = /^(\d{4})$/.exec(value)) && { text: value, year: Number(match[1]), quarter: null };
  if (!period || period.year < 2000) return null;
  const pad = (n) => String(n).padStart(2, '0');
  const firstMonth = period.quarter ? 3 * period.quarter - 2 : 1;
  const lastMonth = period.quarter ? 3 * period.quarter : 12;
  const lastDate = new Date(Date.UTC(period.year, lastMonth, 0)).getUTCDate();
  period.firstDay = `${period.year}-${pad(firstMonth)}-01`;
  period.lastDay = `${period.year}-${pad(lastMonth)}-${pad(lastDate)}`;
  return period;
}

function isLabel(value) {
  return typeof value === 'string' && [...value].length <= 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(value);
}

/**
 * A `meldkluis-figures/1` document (keys/FIGURES.md) in the shape this
 * page shows, or null if it breaks a rule of FIGURES.md (as the console's
 * parser refuses it): the exact fields, tables, cells and order; no
 * published number below the threshold; cells that add up; shares that
 * are what the published cells give. Only numbers, codes and the category
 * labels are shown.
 */
function readFigures(doc) {
  const fields = ['format', 'tenant', 'period', 'first_day', 'last_day', 'generated_day', 'threshold', 'terms', 'tables', 'times', 'shares'];
  if (!hasKeys(doc, fields) || doc.format !== 'meldkluis-figures/1' || doc.tenant !== data.tenant) return null;
  const period = readPeriod(doc.period);
  if (!period || doc.first_day !== period.firstDay || doc.last_day !== period.lastDay) return null;
  if (!isDay(doc.generated_day) || doc.generated_day <= doc.last_day) return null;
  const k = doc.threshold;
  if (!Number.isSafeInteger(k) || k < 3 || k > 1000) return null;
  const terms = doc.terms;
  if (!hasKeys(terms, ['acknowledgement_days', 'feedback_months'])) return null;
  if (!Number.isSafeInteger(terms.acknowledgement_days) || terms.acknowledgement_days < 1 || terms.acknowledgement_days > 7) return null;
  if (!Number.isSafeInteger(terms.feedback_months) || terms.feedback_months < 1 || terms.feedback_months > 3) return null;
  if (!Array.isArray(doc.tables) || doc.tables.length !== TABLES.length) return null;
  const published = (v) => v === null || v >= k;
  const tables = [];
  for (const [index, table] of doc.tables.entries()) {
    if (!hasKeys(table, ['id', 'total', 'cells']) || table.id !== TABLES[index]) return null;
    if (!isCount(table.total) || !published(table.total) || !Array.isArray(table.cells) || table.cells.length > 128) return null;
    const cells = [];
    for (const cell of table.cells) {
      if (!hasKeys(cell, ['id', 'value'], ['label']) || typeof cell.id !== 'string' || !isCount(cell.value) || !published(cell.value)) return null;
      let label = null;
      const labelled = table.id === 'category' && cell.id !== NO_CATEGORY;
      if (labelled !== (cell.label !== undefined)) return null;
      if (labelled) {
        if (!hasKeys(cell.label, ['nl', 'en']) || !isLabel(cell.label.nl) || !isLabel(cell.label.en)) return null;
        label = { nl: cell.label.nl, en: cell.label.en };
      }
      cells.push({ id: cell.id, label, value: cell.value });
    }
    const ids = cells.map((c) => c.id);
    if (table.id === 'category') {
      if (new Set(ids).size !== ids.length || !ids.every((id) => id === NO_CATEGORY || /^[a-z0-9_-]{1,64}$/.test(id))) return null;
    } else if (ids.join() !== FIXED_CELLS[table.id].join()) {
      return null;
    }
    const shown = cells.filter((c) => c.value !== null).reduce((sum, c) => sum + c.value, 0);
    if (table.total !== null && shown > table.total) return null;
    if (table.total !== null && cells.every((c) => c.value !== null) && shown !== table.total) return null;
    tables.push({ id: table.id, total: table.total, cells });
  }
  if (!Array.isArray(doc.times) || doc.times.length !== TIMES.length) return null;
  const times = [];
  for (const [index, time] of doc.times.entries()) {
    if (!hasKeys(time, ['id', 'median_days', 'p90_days'], ['withheld']) || time.id !== TIMES[index]) return null;
    const given = Number.isSafeInteger(time.median_days) && Number.isSafeInteger(time.p90_days) && time.median_days >= 0 && time.median_days <= time.p90_days;
    const withheld = time.median_days === null && time.p90_days === null && time.withheld === 'too_few';
    if (!(given && time.withheld === undefined) && !withheld) return null;
    times.push({ id: time.id, median: time.median_days, p90: time.p90_days });
  }
  if (!Array.isArray(doc.shares) || doc.shares.length !== SHARES.length) return null;
  const shares = [];
  for (const [index, share] of doc.shares.entries()) {
    if (!hasKeys(share, ['id', 'met_percent']) || share.id !== SHARES[index]) return null;
    if (share.met_percent !== metPercent(tables.find((t) => t.id === share.id))) return null;
    shares.push({ id: share.id, percent: share.met_percent });
  }
  return {
    period,
    firstDay: doc.first_day,
    lastDay: doc.last_day,
    generatedDay: doc.generated_day,
    threshold: k,
    tables,
    times,
    shares,
  };
}

function periodName(period) {
  return period.quarter
    ? text(data, 'mgmt-js-period-quarter', { quarter: period.quarter, year: period.year })
    : text(data, 'mgmt-js-period-year', { year: period.year });
}

const textId = (code) => code.replace(/_/g, '-');

function tableTitle(id) {
  return text(data, `figures-table-${textId(id)}`);
}

function cellLabel(tableId, cell) {
  if (cell.label) return data.lang === 'en' ? cell.label.en : cell.label.nl;
  if (tableId === 'category') return cell.id === NO_CATEGORY ? text(data, 'figures-cell-no-category') : cell.id;
  return text(data, `figures-cell-${textId(tableId)}-${textId(cell.id)}`);
}

function timeTitle(id) {
  return text(data, `figures-time-${id}`);
}

function number(value) {
  return value === null ? text(data, 'figures-hidden') : String(value);
}

/** Whole percent of deadlines met, as keys/src/figures computes it; null unless both cells are published. */
function metPercent(table) {
  const value = (id) => table?.cells.find((c) => c.id === id)?.value ?? null;
  const met = value('met');
  const missed = value('missed');
  if (met === null || missed === null || met + missed === 0) return null;
  return Math.floor((met * 200 + met + missed) / (2 * (met + missed)));
}

function showFiguresList(figures) {
  const list = $('figures-list');
  list.replaceChildren();
  const sorted = [...figures].sort((a, b) => (a.report.period.text < b.report.period.text ? 1 : -1));
  for (const item of sorted) {
    const li = element('li');
    const button = element('button', 'link-button', text(data, 'mgmt-js-open-figures', { period: periodName(item.report.period) }));
    button.type = 'button';
    button.addEventListener('click', () => openFigures(item));
    li.append(button, element('span', 'item-list__meta', ` · ${text(data, 'mgmt-js-posted-on', { day: formatDay(data, item.listed.posted_day) })}`));
    list.append(li);
  }
  $('figures-none').hidden = figures.length > 0;
}

let shownFigures = null;

function openFigures(item) {
  shownFigures = item;
  const { report } = item;
  $('figures-view-title').textContent = text(data, 'figures-heading', { period: periodName(report.period) });
  $('figures-content').replaceChildren(...renderFigures(report, session.figures.map((f) => f.report)));
  $('figures-view').hidden = false;
  $('figures-view-title').focus();
}

let chartCount = 0;

/** The report as nodes: as the console renders it (keys/src/figures/render.rs). */
function renderFigures(report, all) {
  const nodes = [];
  nodes.push(
    element(
      'p',
      'figures-meta',
      text(data, 'figures-meta', {
        first: formatDay(data, report.firstDay),
        last: formatDay(data, report.lastDay),
        generated: formatDay(data, report.generatedDay),
        threshold: report.threshold,
      }),
    ),
  );
  nodes.push(element('p', 'figures-explain', text(data, 'figures-explain', { threshold: report.threshold })));
  const category = report.tables.find((t) => t.id === 'category');
  chartCount += 1;
  const prefix = `fig-${chartCount}`;
  if (category && category.cells.length) nodes.push(categoryChart(category, prefix));
  for (const table of report.tables) nodes.push(figuresTable(table, `${prefix}-${table.id}`));
  nodes.push(timesTable(report));
  nodes.push(...sharesNodes(report, all, prefix));
  return nodes;
}

function figuresTable(table, id) {
  const node = element('table', 'figures-table');
  node.id = id;
  node.append(element('caption', null, tableTitle(table.id)));
  const head = element('thead');
  const headRow = element('tr');
  for (const title of [text(data, 'figures-col-cell'), text(data, 'figures-col-count')]) {
    const th = element('th', null, title);
    th.scope = 'col';
    headRow.append(th);
  }
  head.append(headRow);
  const body = element('tbody');
  for (const cell of table.cells) body.append(row(cellLabel(table.id, cell), [number(cell.value)], cell.value === null));
  const foot = element('tfoot');
  foot.append(row(text(data, 'figures-total'), [number(table.total)], table.total === null));
  node.append(head, body, foot);
  return node;
}

function row(title, values, hidden = false) {
  const tr = element('tr');
  const th = element('th', null, title);
  th.scope = 'row';
  tr.append(th);
  for (const value of values) {
    const td = element('td', 'num', value);
    if (hidden) td.dataset.hidden = '';
    tr.append(td);
  }
  return tr;
}

function days(count) {
  return text(data, count === 1 ? 'mgmt-js-days-one' : 'mgmt-js-days-other', { days: count });
}

function timesTable(report) {
  const node = element('table', 'figures-table');
  node.append(element('caption', null, text(data, 'figures-times-caption')));
  const headRow = element('tr');
  for (const title of [text(data, 'figures-col-step'), text(data, 'figures-median'), text(data, 'figures-p90')]) {
    const th = element('th', null, title);
    th.scope = 'col';
    headRow.append(th);
  }
  const head = element('thead');
  head.append(headRow);
  const body = element('tbody');
  for (const time of report.times) {
    if (time.median !== null && time.p90 !== null) {
      body.append(row(timeTitle(time.id), [days(time.median), days(time.p90)]));
    } else {
      const tr = element('tr');
      const th = element('th', null, timeTitle(time.id));
      th.scope = 'row';
      const td = element('td', null, text(data, 'figures-too-few', { n: 10 }));
      td.colSpan = 2;
      tr.append(th, td);
      body.append(tr);
    }
  }
  node.append(head, body);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
const BAR_FILL = '#1f5f8b';
const SECOND_FILL = '#b4572b';

function svgNode(tag, attributes, content) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (content !== undefined) node.textContent = content;
  return node;
}

/** An SVG image with a title and a description, beside the table `tableId` that says the same in text. */
function chartFigure(prefix, title, tableId, width, height, draw) {
  const svg = svgNode('svg', {
    class: 'figures-chart',
    role: 'img',
    'aria-labelledby': `${prefix}-title ${prefix}-desc`,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
  });
  svg.append(
    svgNode('title', { id: `${prefix}-title` }, title),
    svgNode('desc', { id: `${prefix}-desc` }, text(data, 'figures-chart-desc', { table: title })),
  );
  draw(svg);
  const figure = element('figure', 'figures-figure');
  figure.setAttribute('aria-describedby', tableId);
  figure.append(svg, element('figcaption', null, text(data, 'figures-chart-beside', { table: title })));
  return figure;
}

/** Horizontal bars per category; a hidden cell is named, without a bar. */
function categoryChart(table, prefix) {
  const max = Math.max(1, ...table.cells.map((c) => c.value ?? 0));
  const [labelWidth, barWidth, rowHeight] = [220, 300, 24];
  const height = rowHeight * table.cells.length + 10;
  const width = labelWidth + barWidth + 60;
  return chartFigure(`${prefix}-category-chart`, tableTitle('category'), `${prefix}-category`, width, height, (svg) => {
    table.cells.forEach((cell, i) => {
      const y = rowHeight * i + 5;
      const label = [...cellLabel('category', cell)].slice(0, 32).join('');
      svg.append(svgNode('text', { x: labelWidth - 8, y: y + 16, 'text-anchor': 'end', 'font-size': 12, fill: 'currentColor' }, label));
      if (cell.value !== null) {
        const w = Math.max(1, Math.floor((barWidth * cell.value) / max));
        svg.append(
          svgNode('rect', { x: labelWidth, y: y + 3, width: w, height: rowHeight - 8, fill: BAR_FILL }),
          svgNode('text', { x: labelWidth + w + 6, y: y + 16, 'font-size': 12, fill: 'currentColor' }, String(cell.value)),
        );
      } else {
        svg.append(svgNode('text', { x: labelWidth, y: y + 16, 'font-size': 12, 'font-style': 'italic', fill: 'currentColor' }, text(data, 'figures-hidden')));
      }
    });
  });
}

/**
 * This report's deadline shares, and those of every quarter the recipient
 * holds a report of (the newest report per quarter, the last eight), as a
 * chart and a table, as the console shows them.
 */
function sharesNodes(report, all, prefix) {
  const percent = (v) => (v === null || v === undefined ? text(data, 'figures-hidden') : `${v}%`);
  const own = (id) => report.shares.find((s) => s.id === id)?.percent ?? null;
  const ownTable = element('table', 'figures-table');
  ownTable.append(element('caption', null, text(data, 'figures-shares-own-caption')));
  const ownBody = element('tbody');
  ownBody.append(row(tableTitle('acknowledgement'), [percent(own('acknowledgement'))]), row(tableTitle('feedback'), [percent(own('feedback'))]));
  ownTable.append(ownBody);

  const quarters = new Map();
  for (const r of all) {
    if (!r.period.quarter) continue;
    const old = quarters.get(r.period.text);
    if (!old || old.generatedDay <= r.generatedDay) quarters.set(r.period.text, r);
  }
  const rows = [...quarters.keys()]
    .sort()
    .slice(-8)
    .map((key) => {
      const r = quarters.get(key);
      const share = (id) => metPercent(r.tables.find((t) => t.id === id));
      return { period: key, ack: share('acknowledgement'), feedback: share('feedback') };
    });
  if (rows.length === 0) return [ownTable];

  const title = text(data, 'figures-shares-caption');
  const tableId = `${prefix}-shares`;
  const [columnWidth, chartHeight, top, left] = [56, 160, 10, 36];
  const width = left + columnWidth * rows.length + 10;
  const height = top + chartHeight + 56;
  const chart = chartFigure(`${prefix}-shares-chart`, title, tableId, width, height, (svg) => {
    for (const pct of [0, 50, 100]) {
      const y = top + chartHeight - (chartHeight * pct) / 100;
      svg.append(
        svgNode('line', { x1: left, x2: width - 5, y1: y, y2: y, stroke: '#999', 'stroke-width': 0.5 }),
        svgNode('text', { x: left - 4, y: y + 3, 'text-anchor': 'end', 'font-size': 10, fill: 'currentColor' }, `${pct}%`),
      );
    }
    rows.forEach((r, i) => {
      const x = left + columnWidth * i + 6;
      [
        [r.ack, BAR_FILL],
        [r.feedback, SECOND_FILL],
      ].forEach(([value, fill], j) => {
        if (value === null) return;
        const h = Math.floor((chartHeight * value) / 100);
        svg.append(svgNode('rect', { x: x + 22 * j, y: top + chartHeight - h, width: 20, height: h, fill }));
      });
      svg.append(svgNode('text', { x: x + 21, y: top + chartHeight + 14, 'text-anchor': 'middle', 'font-size': 10, fill: 'currentColor' }, r.period));
    });
    svg.append(
      svgNode('rect', { x: left, y: top + chartHeight + 22, width: 10, height: 10, fill: BAR_FILL }),
      svgNode('text', { x: left + 14, y: top + chartHeight + 31, 'font-size': 10, fill: 'currentColor' }, tableTitle('acknowledgement')),
      svgNode('rect', { x: left, y: top + chartHeight + 38, width: 10, height: 10, fill: SECOND_FILL }),
      svgNode('text', { x: left + 14, y: top + chartHeight + 47, 'font-size': 10, fill: 'currentColor' }, tableTitle('feedback')),
    );
  });
  // The legend (a line per table) needs room for the tables' names.
  const svg = chart.querySelector('svg');
  const longest = Math.max(...['acknowledgement', 'feedback'].map((id) => [...tableTitle(id)].length));
  const wide = Math.max(width, left + 14 + 6 * longest + 10);
  svg.setAttribute('viewBox', `0 0 ${wide} ${height}`);
  svg.setAttribute('width', wide);

  const table = element('table', 'figures-table');
  table.id = tableId;
  table.append(element('caption', null, title));
  const headRow = element('tr');
  for (const heading of [text(data, 'figures-col-period'), tableTitle('acknowledgement'), tableTitle('feedback')]) {
    const th = element('th', null, heading);
    th.scope = 'col';
    headRow.append(th);
  }
  const head = element('thead');
  head.append(headRow);
  const body = element('tbody');
  for (const r of rows) {
    const tr = row(r.period, [percent(r.ack), percent(r.feedback)]);
    tr.querySelector('th').className = 'period';
    body.append(tr);
  }
  table.append(head, body);
  return [ownTable, chart, table];
}

/**
 * A cell a spreadsheet cannot take for a formula, as the console's CSV
 * does (keys/src/console/csv.rs): control characters but line ends and
 * tabs dropped, a leading `=`, `+`, `-`, `@`, tab or carriage return
 * kept as text behind a `'`. (A category label is the tenant's text.)
 */
function harmless(cell) {
  const cleaned = String(cell).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  return /^[=+\-@\t\r]/.test(cleaned) ? `'${cleaned}` : cleaned;
}

function csvLine(cells) {
  return cells
    .map((cell) => {
      const safe = harmless(cell);
      return /[,"\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(',');
}

/** The report's suppressed tables as CSV, as the console writes them (keys/src/figures/csv.rs). */
function figuresCsv(report) {
  const period = report.period.text;
  const value = (v) => (v === null ? '' : String(v));
  const records = [['period', 'table', 'cell', 'label', 'value']];
  for (const table of report.tables) {
    for (const cell of table.cells) records.push([period, table.id, cell.id, cellLabel(table.id, cell), value(cell.value)]);
    records.push([period, table.id, 'total', text(data, 'figures-total'), value(table.total)]);
  }
  for (const time of report.times) {
    records.push([period, `time_${time.id}`, 'median_days', `${timeTitle(time.id)} — ${text(data, 'figures-median')}`, value(time.median)]);
    records.push([period, `time_${time.id}`, 'p90_days', `${timeTitle(time.id)} — ${text(data, 'figures-p90')}`, value(time.p90)]);
  }
  for (const share of report.shares) records.push([period, 'share', share.id, tableTitle(share.id), value(share.percent)]);
  return records.map((r) => `${csvLine(r)}\r\n`).join('');
}

// ------------------------------------------------------------ forwards

/** A `meldkluis-forward/1` document (REPORT-CONTENT.md) in the shape shown, or null. */
function readForward(doc) {
  if (!doc || doc.format !== 'meldkluis-forward/1' || typeof doc.text !== 'string') return null;
  if (!isHex(doc.subject_hash, 64) || !isDay(doc.forwarded_day) || !Array.isArray(doc.attachments)) return null;
  if (!doc.recipient || !isHex(doc.recipient.public_key, 64) || typeof doc.recipient.label !== 'string') return null;
  const attachments = doc.attachments.map((a) =>
    a && isHex(a.id, 32) && typeof a.name === 'string' && Number.isSafeInteger(a.size) && a.size >= 0 && isHex(a.sha256, 64)
      ? { id: a.id, name: a.name, type: typeof a.type === 'string' && a.type ? a.type : 'application/octet-stream', size: a.size, sha256: a.sha256 }
      : null,
  );
  if (attachments.includes(null)) return null;
  return {
    text: doc.text,
    attachments,
    day: doc.forwarded_day,
    advisor: typeof doc.advisor === 'string' ? doc.advisor : '',
    number: Number.isSafeInteger(doc.register_number) ? doc.register_number : '',
    recipientKey: doc.recipient.public_key,
    recipientLabel: doc.recipient.label,
  };
}

function showForwards(forwards) {
  const list = $('forward-list');
  list.replaceChildren();
  for (const { forward, reportId, sender, advisor } of forwards) {
    const li = element('li', 'thread__item thread__item--advisor');
    li.append(
      element(
        'p',
        'thread__meta',
        text(data, 'mgmt-js-forward-from', {
          advisor: forward.advisor || advisor?.name || '',
          day: formatDay(data, forward.day),
          number: forward.number,
        }),
      ),
      element('p', 'thread__meta', text(data, 'mgmt-js-forward-to', { label: forward.recipientLabel })),
      element('div', 'request__text', forward.text),
    );
    if (forward.attachments.length) {
      const ul = element('ul', 'file-list');
      for (const meta of forward.attachments) {
        const item = element('li');
        const button = element('button', 'link-button', text(data, 'js-download', { name: `${meta.name} (${formatSize(data, meta.size)})` }));
        button.type = 'button';
        button.addEventListener('click', () => downloadAttachment(meta, reportId, sender, item));
        item.append(button);
        ul.append(item);
      }
      li.append(ul);
    }
    li.append(element('p', 'help', text(data, 'mgmt-js-forward-readonly')));
    list.append(li);
  }
  $('forwards-none').hidden = forwards.length > 0;
}

/**
 * Downloads a forward's attachment: only the attachment item the forward
 * names, of the same report, from the forward's sender, with the size and
 * SHA-256 the forward names (the ones the reporter approved).
 */
async function downloadAttachment(meta, reportId, sender, li) {
  li.querySelector('.field-error')?.remove();
  try {
    const sealed = await api(data, `/recipient/items/${meta.id}`, { token: session.token, as: 'bytes' });
    let opened;
    try {
      opened = session.mk.openItem({ item: sealed, readerSecretKey: session.key.secretKey, tenant: data.tenant, expectedSenders: [sender] });
    } catch {
      throw new Error('js-attachment-missing');
    }
    let same = opened.kind === 'attachment' && sameKey(opened.reportId, reportId) && hex(opened.itemId) === meta.id && opened.content.length === meta.size;
    if (same) same = hex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', opened.content))) === meta.sha256;
    if (!same) {
      wipe(opened.content);
      throw new Error('mgmt-js-attachment-wrong');
    }
    download(opened.content, meta.name, meta.type);
  } catch (error) {
    const known = ['js-attachment-missing', 'mgmt-js-attachment-wrong'].includes(error.message);
    const line = element('p', 'field-error', known ? text(data, error.message) : describeError(data, error));
    line.setAttribute('role', 'alert');
    li.append(line);
  }
}

// ------------------------------------------------------------ leaving

function forget() {
  if (session) {
    wipe(session.key.secretKey);
    session = null;
  }
  shownFigures = null;
}

async function logOut() {
  if (session) await api(data, '/recipient/logout', { method: 'POST', token: session.token }).catch(() => {});
  forget();
  // A fresh page: nothing that was opened stays in memory.
  window.location.replace(window.location.pathname + window.location.search);
}

function startManagement() {
  $('login-form').addEventListener('submit', logIn);
  $('logout').addEventListener('click', logOut);
  $('print-figures').addEventListener('click', () => window.print());
  $('csv-figures').addEventListener('click', () => {
    if (!shownFigures) return;
    const csv = new TextEncoder().encode(figuresCsv(shownFigures.report));
    download(csv, `meldkluis-figures-${data.tenant}-${shownFigures.report.period.text}.csv`, 'text/csv;charset=utf-8');
  });
  $('close-figures').addEventListener('click', () => {
    $('figures-view').hidden = true;
    $('figures-content').replaceChildren();
    shownFigures = null;
    $('figures-title').focus();
  });
  // Leaving the page forgets the key and everything opened, so going back
  // (or a back/forward cache) shows the log-in again.
  window.addEventListener('pagehide', () => {
    forget();
    $('figures-content').replaceChildren();
    $('forward-list').replaceChildren();
    $('code-input').value = '';
    $('items-screen').hidden = true;
    $('login-screen').hidden = false;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.replace(window.location.pathname + window.location.search);
  });
  $('login-button').disabled = false;
}

if (data.page === 'enrol') startEnrolment();
else startManagement();
