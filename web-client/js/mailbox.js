// The reporter's mailbox: log in with the login code (typing errors are
// caught here, before anything is derived or sent), then open the thread in
// this browser. A message counts as the advisor's only if it opens with an
// advisor key pinned in the reporter's own sealed report; anything else is
// shown as a warning, never as a message.
//
// The server (or one who breached it) chooses what it serves, so nothing it
// says is taken on its word: the report must be the reporter's own report
// item for the report id of this log-in, every message an item of that
// report, every attachment the very item its message or report names. What
// fails a check is refused with a warning, never shown.

import { randomItemId } from './meldkluis.js';
import {
  api,
  announce,
  ApiError,
  BadAnswerError,
  base64,
  decodeContent,
  describeError,
  deriveMailbox,
  download,
  encodeContent,
  fieldError,
  formatDay,
  formatSize,
  hex,
  loadCrypto,
  MeldkluisError,
  pageData,
  readFile,
  text,
  unbase64,
  unhex,
  wipe,
} from './common.js';

const data = pageData();
const $ = (id) => document.getElementById(id);
const crypto = loadCrypto(data);
crypto.catch(() => {});

/** The logged-in state: keys, session token, the pinned keys and the report. */
let session = null;

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

async function logIn(event) {
  event.preventDefault();
  const input = $('code-input');
  let mk;
  let module;
  try {
    ({ mk, module } = await crypto);
  } catch {
    // The wasm did not match the integrity the page names (or did not
    // load): nothing is derived or sent with code that was not checked.
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
  announce($('login-status'), text(data, 'js-deriving'));
  let mailbox;
  try {
    mailbox = await deriveMailbox(data, module, code);
    code = null;
    const login = await api(data, '/mailbox/login', {
      method: 'POST',
      body: { mailbox_id: hex(mailbox.mailboxId), auth_secret: hex(mailbox.authSecret) },
    });
    wipe(mailbox.authSecret);
    if (typeof login?.token !== 'string' || !isItemId(login.report_id)) throw new BadAnswerError('log-in');
    // The report this mailbox holds, as the server names it at log-in: the
    // report item served later must carry this id.
    session = { mk, mailbox, token: login.token, loginReportId: login.report_id.toLowerCase() };
    input.value = '';
    await showMailbox();
  } catch (error) {
    if (mailbox) {
      wipe(mailbox.secretKey);
      wipe(mailbox.authSecret);
    }
    session = null;
    const message = error instanceof ApiError && error.code === 'login_failed' ? text(data, 'js-login-failed') : describeError(data, error);
    fieldError('code-input', message);
    announce($('login-status'), '');
    input.focus();
    return;
  } finally {
    $('login-button').disabled = false;
    $('login-progress').hidden = true;
  }
}

function open(itemBytes, expectedSenders) {
  return session.mk.openItem({
    item: itemBytes,
    readerSecretKey: session.mailbox.secretKey,
    tenant: data.tenant,
    expectedSenders,
  });
}

/** An item id as the API and the content name it: 32 hex digits. */
function isItemId(value) {
  return typeof value === 'string' && /^[0-9a-f]{32}$/i.test(value);
}

/** The attachment entries of a report's or message's content that can be offered. */
function attachmentEntries(list) {
  if (!Array.isArray(list)) return { valid: [], invalid: list === undefined || list === null ? 0 : 1 };
  const valid = list.filter(
    (meta) =>
      meta && isItemId(meta.id) && typeof meta.name === 'string' && Number.isSafeInteger(meta.size) && meta.size >= 0,
  );
  return { valid, invalid: list.length - valid.length };
}

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

/**
 * A list of downloadable attachments named in an item's content: each may
 * only be the attachment item of this report with the id named here, sealed
 * by `sender` (the sender of the naming item).
 */
function attachmentList(list, sender) {
  const ul = element('ul', 'file-list');
  const { valid, invalid } = attachmentEntries(list);
  for (const meta of valid) {
    const li = element('li');
    const button = element('button', 'link-button', text(data, 'js-download', { name: `${meta.name} (${formatSize(data, meta.size)})` }));
    button.type = 'button';
    button.addEventListener('click', () => downloadAttachment(meta, sender, li));
    li.append(button);
    ul.append(li);
  }
  if (invalid > 0) ul.append(element('li', 'field-error', text(data, 'js-attachment-missing')));
  return ul;
}

/** A refusal with a translated text, shown where the attempt was made. */
class Refused extends Error {
  constructor(textId) {
    super(textId);
    this.textId = textId;
  }
}

async function downloadAttachment(meta, sender, li) {
  li.querySelector('.field-error')?.remove();
  try {
    const sealed = await api(data, `/mailbox/attachments/${meta.id.toLowerCase()}`, { token: session.token, as: 'bytes' });
    let opened;
    try {
      opened = open(sealed, [sender]);
    } catch {
      throw new Refused('js-attachment-missing');
    }
    // The very attachment the message names: a server could serve another
    // one of the reporter's or the advisor's items in its place.
    if (opened.kind !== 'attachment' || !sameKey(opened.reportId, session.reportId) || hex(opened.itemId) !== meta.id.toLowerCase()) {
      wipe(opened.content);
      throw new Refused('js-attachment-substituted');
    }
    download(opened.content, meta.name, typeof meta.type === 'string' && meta.type ? meta.type : 'application/octet-stream');
  } catch (error) {
    const message = error instanceof Refused ? text(data, error.textId) : describeError(data, error);
    const line = element('p', 'field-error', message);
    line.setAttribute('role', 'alert');
    li.append(line);
  }
}

/** The reporter's own report, as a definition list. */
function reportEntry(content, day) {
  const entry = element('li', 'thread__item thread__item--own');
  const details = element('details');
  const summary = element('summary', null, `${text(data, 'mailbox-your-report')} · ${formatDay(data, day)}`);
  details.append(summary);
  const dl = element('dl', 'answers');
  const add = (term, value) => {
    if (value === null || value === undefined || value === '') return;
    const wrapper = element('div');
    wrapper.append(element('dt', null, term), element('dd', null, Array.isArray(value) ? value.join(', ') : String(value)));
    dl.append(wrapper);
  };
  if (content.category) add(text(data, 'js-category'), content.category.label);
  for (const answer of Array.isArray(content.answers) ? content.answers : []) {
    if (answer && typeof answer === 'object') add(String(answer.question ?? ''), answer.answer);
  }
  const reporter = content.reporter && typeof content.reporter === 'object' ? content.reporter : { anonymous: true };
  add(
    text(data, 'js-you'),
    reporter.anonymous
      ? text(data, 'js-anonymous')
      : `${text(data, 'js-named', { name: reporter.name })} ${text(data, reporter.employer_may_see ? 'js-consent-yes' : 'js-consent-no')}`,
  );
  details.append(dl);
  if (Array.isArray(content.attachments) && content.attachments.length) {
    details.append(element('h3', null, text(data, 'js-attachments')), attachmentList(content.attachments, session.mailbox.publicKey));
  }
  entry.append(details);
  return entry;
}

/** The warning shown instead of a message that could not be verified. */
function unverified(day) {
  const warning = element('li', 'thread__item notice notice--warning');
  warning.setAttribute('role', 'note');
  warning.append(element('p', null, `${formatDay(data, day)} · ${text(data, 'js-unverified')}`));
  return warning;
}

function sameKey(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function showMailbox({ focus = true } = {}) {
  const thread = await api(data, '/mailbox', { token: session.token });
  if (!threadShaped(thread)) throw new BadAnswerError('thread');
  const list = $('thread');
  list.replaceChildren();
  session.reportId = null;
  const own = session.mailbox.publicKey;
  let report;
  try {
    report = open(unbase64(thread.report), [own]);
  } catch {
    return refuseThread(thread, focus, 'js-report-unreadable');
  }
  // The reporter's own report for this log-in, and nothing else sealed by
  // the reporter: a server that put one of the reporter's messages here
  // would drop the pinned advisors (and with them every check below).
  if (report.kind !== 'report' || !sameKey(report.itemId, report.reportId) || hex(report.itemId) !== session.loginReportId) {
    wipe(report.content);
    return refuseThread(thread, focus, 'js-report-substituted');
  }
  const content = readContent(report.content);
  wipe(report.content);
  const advisors = content && pinnedAdvisors(content);
  if (!advisors) return refuseThread(thread, focus, 'js-report-unreadable');
  // The advisor keys pinned in the reporter's own sealed report: the only
  // senders whose messages are shown as the advisor's.
  session.advisors = advisors;
  session.recoveryKey = isKey(content.recovery_key) ? unhex(content.recovery_key) : null;
  session.reportId = report.itemId;
  session.recipients = [...session.advisors.map((a) => a.key), ...(session.recoveryKey ? [session.recoveryKey] : []), own];
  list.append(reportEntry(content, thread.created_day));

  // Who may write here: the reporter, the pinned advisors, and (for key
  // introductions only) the pinned recovery key; an introduction from a
  // trusted key adds the new key, in thread order.
  const senders = [own, ...session.advisors.map((a) => a.key), ...(session.recoveryKey ? [session.recoveryKey] : [])];
  const seen = new Set();
  for (const message of thread.messages) {
    let opened;
    try {
      opened = open(unbase64(message.item), senders);
      // A genuine message of this thread, shown once: a server could
      // replay an item or move one from elsewhere.
      const id = hex(opened.itemId);
      if (opened.kind !== 'message' || !sameKey(opened.reportId, session.reportId) || seen.has(id)) {
        wipe(opened.content);
        throw new Error('not a message of this thread');
      }
      seen.add(id);
    } catch {
      list.append(unverified(message.created_day));
      continue;
    }
    const fromSelf = sameKey(opened.sender, own);
    const advisor = session.advisors.find((a) => sameKey(a.key, opened.sender));
    const body = readContent(opened.content) ?? { format: 'text', text: '' };
    wipe(opened.content);
    if (body.format === 'meldkluis-key-introduction/1' && !fromSelf && /^[0-9a-f]{64}$/.test(body.public_key ?? '')) {
      // An advisor's new key (after a lost token or a planned change),
      // introduced by a key this report already trusts.
      const key = unhex(body.public_key);
      const name = String(body.name || text(data, 'js-advisor'));
      if (!session.advisors.some((a) => sameKey(a.key, key))) {
        session.advisors.push({ name, key });
        senders.push(key);
        session.recipients.unshift(key);
      }
      const note = element('li', 'thread__item thread__item--note');
      note.append(element('p', null, `${formatDay(data, message.created_day)} · ${text(data, 'js-key-introduced', { name })}`));
      list.append(note);
      continue;
    }
    if (body.format === 'meldkluis-recovery-key-introduction/1' && !fromSelf) {
      // The tenant's new recovery key, introduced by an advisor key this
      // report believes (pinned or introduced; not the recovery key, not a
      // key the server holds): later messages are sealed to it instead of
      // the old one, and it may introduce advisor keys after a lost token
      // as the old one could. It never becomes an advisor sender.
      if (!advisor || !/^[0-9a-f]{64}$/.test(body.public_key ?? '')) {
        list.append(unverified(message.created_day));
        continue;
      }
      const key = unhex(body.public_key);
      const old = session.recoveryKey;
      if (!old || !sameKey(old, key)) {
        const notOld = (k) => !old || !sameKey(k, old);
        session.recipients = [...session.recipients.filter(notOld), key];
        const kept = senders.filter(notOld);
        senders.splice(0, senders.length, ...kept, key);
        session.recoveryKey = key;
      }
      const note = element('li', 'thread__item thread__item--note');
      note.append(element('p', null, `${formatDay(data, message.created_day)} · ${text(data, 'js-recovery-key-introduced', { name: advisor.name })}`));
      list.append(note);
      continue;
    }
    if (!fromSelf && !advisor) {
      // The recovery key writes introductions, nothing else.
      list.append(unverified(message.created_day));
      continue;
    }
    const entry = element('li', `thread__item ${fromSelf ? 'thread__item--own' : 'thread__item--advisor'}`);
    entry.append(element('p', 'thread__meta', `${fromSelf ? text(data, 'js-you') : advisor?.name ?? text(data, 'js-advisor')} · ${formatDay(data, message.created_day)}`));
    const paragraphs = String(body.text ?? '').split(/\n{2,}/);
    for (const paragraph of paragraphs) entry.append(element('p', 'thread__text', paragraph));
    if (Array.isArray(body.attachments) && body.attachments.length) entry.append(attachmentList(body.attachments, opened.sender));
    list.append(entry);
  }
  if (thread.messages.length === 0) list.append(element('li', 'thread__empty', text(data, 'mailbox-no-messages')));
  return finishShowing(thread, focus);
}

/** An item's content as an object (see REPORT-CONTENT.md), or null if it is not UTF-8. */
function readContent(bytes) {
  let value;
  try {
    value = decodeContent(bytes);
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : { format: 'text', text: String(value) };
}

/** Whether the thread answer has the shape this page reads. */
function threadShaped(thread) {
  return (
    thread !== null &&
    typeof thread === 'object' &&
    typeof thread.report === 'string' &&
    Array.isArray(thread.messages) &&
    thread.messages.every((m) => m && typeof m.item === 'string' && typeof m.created_day === 'string') &&
    typeof thread.status === 'string' &&
    typeof thread.created_day === 'string' &&
    (thread.agreed_update_date === null || thread.agreed_update_date === undefined || typeof thread.agreed_update_date === 'string')
  );
}

function isKey(value) {
  return typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value);
}

/** The advisors a report pins, or null if the report names them wrongly. */
function pinnedAdvisors(content) {
  const list = content.advisors ?? [];
  if (!Array.isArray(list) || !list.every((a) => a && isKey(a.public_key))) return null;
  return list.map((a) => ({ name: String(a.name || text(data, 'js-advisor')), key: unhex(a.public_key) }));
}

/**
 * Shows only a warning instead of the thread, and no reply form: without
 * the reporter's own report there are no pinned keys to check messages
 * against or to seal a reply to.
 */
function refuseThread(thread, focus, textId) {
  const warning = element('li', 'notice notice--warning', text(data, textId));
  warning.setAttribute('role', 'alert');
  $('thread').append(warning);
  return finishShowing(thread, focus);
}

function clockText(thread, kind, doneDay, doneText) {
  if (typeof doneDay === 'string') return text(data, doneText, { day: formatDay(data, doneDay) });
  const running = Array.isArray(thread.deadlines)
    ? thread.deadlines.find((d) => d && d.kind === kind && typeof d.due === 'string')
    : undefined;
  return running ? text(data, 'js-due-by', { day: formatDay(data, running.due) }) : '–';
}

/** The closing reasons the mailbox names (web-client/i18n: js-reason-*). */
const CLOSING_REASONS = ['resolved', 'agreed_with_reporter', 'no_response_from_reporter', 'withdrawn', 'not_a_report', 'other'];

/** A day as the API writes it: YYYY-MM-DD with a real month and day, nothing else. */
function isDay(value) {
  return typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(value);
}

/**
 * The report's end as the server states it: closed (on which day, why),
 * the day it and its messages will be deleted, and the warning that the
 * advisor may close it after the reporter's silence. Only days and known
 * codes are shown, as text; anything else the server sends is left out.
 */
function showLifecycle(thread) {
  const closed = thread.status === 'closed' || thread.status === 'archived';
  const reason = closed && CLOSING_REASONS.includes(thread.closing_reason) ? text(data, `js-reason-${thread.closing_reason}`) : null;
  let closure = '';
  if (closed && isDay(thread.closed_day)) {
    const day = formatDay(data, thread.closed_day);
    closure = reason ? text(data, 'js-closed-on-reason', { day, reason }) : text(data, 'js-closed-on', { day });
  } else if (closed && reason) {
    closure = reason;
  }
  $('closure-value').textContent = closure;
  $('closure-row').hidden = closure === '';
  const deletion = closed && isDay(thread.deletion_day);
  $('deletion-notice').textContent = deletion ? text(data, 'js-deletion-on', { day: formatDay(data, thread.deletion_day) }) : '';
  $('deletion-notice').hidden = !deletion;
  const warning = thread.silence_warning;
  const warned = !closed && warning !== null && typeof warning === 'object' && isDay(warning.close_offered_from);
  $('silence-warning').textContent = warned ? text(data, 'js-silence-warning', { day: formatDay(data, warning.close_offered_from) }) : '';
  $('silence-warning').hidden = !warned;
}

async function finishShowing(thread, focus) {
  $('reply-section').hidden = session.reportId === null;
  $('status-value').textContent = data.texts[`status-${thread.status}`] ?? thread.status;
  $('received-value').textContent = formatDay(data, thread.created_day);
  $('agreed-value').textContent = thread.agreed_update_date ? formatDay(data, thread.agreed_update_date) : text(data, 'mailbox-agreed-none');
  // The same clocks the advisor's console and digest show (the server's one
  // copy of the rules); a clock that stopped shows the day it stopped.
  $('ack-value').textContent = clockText(thread, 'acknowledgement', thread.acknowledged_day, 'js-acknowledged-on');
  $('feedback-value').textContent = clockText(thread, 'feedback', thread.feedback_day, 'js-feedback-given-on');
  showLifecycle(thread);
  $('login-screen').hidden = true;
  $('mailbox-screen').hidden = false;
  if (focus) $('mailbox-title').focus();
  await loadNoticeAddress();
}

async function loadNoticeAddress() {
  try {
    const notice = await api(data, '/mailbox/notice-email', { token: session.token });
    // Only an address is shown as one: anything else the server sends is not.
    $('notice-email').value = typeof notice?.address === 'string' ? notice.address : '';
    $('notice-section').hidden = false;
  } catch (error) {
    // A server without e-mail notices has no such endpoint.
    $('notice-section').hidden = error instanceof ApiError && error.status === 404;
  }
}

async function reply(event) {
  event.preventDefault();
  // Only into a thread whose report was checked (the form is hidden otherwise).
  if (!session?.reportId) return;
  const textValue = $('reply-text').value.trim();
  if (!textValue) {
    fieldError('reply-text', text(data, 'js-message-empty'));
    $('reply-text').focus();
    return;
  }
  fieldError('reply-text', null);
  const files = [...$('reply-attachments').files];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > data.maxAttachmentBytes) {
    fieldError('reply-attachments', text(data, 'js-attachments-too-large', { max: formatSize(data, data.maxAttachmentBytes) }));
    $('reply-attachments').focus();
    return;
  }
  fieldError('reply-attachments', null);
  $('reply-send').disabled = true;
  try {
    const { mk } = session;
    const seal = (kind, itemId, content) =>
      mk.sealItem({
        kind,
        tenant: data.tenant,
        itemId,
        reportId: session.reportId,
        senderSecretKey: session.mailbox.secretKey,
        recipients: session.recipients,
        content,
      });
    // Attachments first, so a message never names a missing one.
    const attachments = [];
    for (const [index, file] of files.entries()) {
      announce($('reply-status'), text(data, 'js-uploading', { number: index + 1, count: files.length }));
      const itemId = randomItemId();
      const bytes = await readFile(file);
      const sealed = seal('attachment', itemId, bytes);
      wipe(bytes);
      await api(data, '/mailbox/attachments', { method: 'POST', body: sealed, token: session.token });
      attachments.push({ id: hex(itemId), name: file.name, type: file.type || 'application/octet-stream', size: file.size });
    }
    announce($('reply-status'), text(data, 'js-sending'));
    const content = encodeContent({ format: 'meldkluis-message/1', text: textValue, attachments });
    const item = seal('message', randomItemId(), content);
    wipe(content);
    await api(data, '/mailbox/messages', { method: 'POST', body: { item: base64(item) }, token: session.token });
    $('reply-form').reset();
    await showMailbox({ focus: false });
    announce($('reply-status'), text(data, 'js-message-sent'));
  } catch (error) {
    announce($('reply-status'), describeError(data, error));
  } finally {
    $('reply-send').disabled = false;
  }
}

async function saveNotice(event) {
  event.preventDefault();
  const input = $('notice-email');
  const address = input.value.trim();
  if (!address || !input.checkValidity()) {
    fieldError('notice-email', text(data, 'js-field-email'));
    input.focus();
    return;
  }
  fieldError('notice-email', null);
  try {
    await api(data, '/mailbox/notice-email', { method: 'PUT', body: { address, language: data.lang }, token: session.token });
    announce($('notice-status'), text(data, 'js-notice-saved'));
  } catch (error) {
    announce($('notice-status'), describeError(data, error));
  }
}

async function removeNotice() {
  try {
    await api(data, '/mailbox/notice-email', { method: 'DELETE', token: session.token });
    $('notice-email').value = '';
    announce($('notice-status'), text(data, 'js-notice-removed'));
  } catch (error) {
    announce($('notice-status'), describeError(data, error));
  }
}

async function logOut() {
  if (session) {
    await api(data, '/mailbox/logout', { method: 'POST', token: session.token }).catch(() => {});
    wipe(session.mailbox.secretKey);
    session = null;
  }
  // A fresh page: nothing of the thread stays in memory.
  window.location.replace(window.location.pathname + window.location.search);
}

// Leaving the page forgets the keys and the opened thread, so that going
// back (or a browser that keeps the page in its back/forward cache) shows
// the log-in again, never the thread.
window.addEventListener('pagehide', () => {
  if (session) {
    wipe(session.mailbox.secretKey);
    session = null;
  }
  $('thread').replaceChildren();
  $('code-input').value = '';
  $('mailbox-screen').hidden = true;
  $('login-screen').hidden = false;
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.replace(window.location.pathname + window.location.search);
});

$('login-form').addEventListener('submit', logIn);
$('reply-form').addEventListener('submit', reply);
$('notice-form').addEventListener('submit', saveNotice);
$('notice-remove').addEventListener('click', removeNotice);
$('logout').addEventListener('click', logOut);
$('login-button').disabled = false;
