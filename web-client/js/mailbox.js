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
//
// An advisor's approval request (forwarding the case, or minutes) is shown
// exactly as it will be used, and its subject hash is computed here from
// what is shown: the hash the request names is never believed, and a
// request whose named hash differs cannot be approved. The approval the
// reporter sends carries the hash computed here.

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
import { offerVoice } from './voice-loader.js';
import { minutesView } from './minutes.js';
import { meetingThread, requestSummary } from './meeting.js';
import {
  isFollowUpContent,
  isUnjoinedFollowUp,
  joinEntry,
  missingJoinEntry,
  openingEntry,
  readJoinRecord,
  waitingEntry,
} from './follow-up.js';

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
    // A follow-up mailbox no advisor has linked yet (issue 13) holds no
    // report: its report id is null.
    if (typeof login?.token !== 'string' || !(isItemId(login.report_id) || login.report_id === null)) throw new BadAnswerError('log-in');
    // The report this mailbox holds, as the server names it at log-in: the
    // report item served later must carry this id.
    session = { mk, mailbox, token: login.token, loginReportId: login.report_id === null ? null : login.report_id.toLowerCase() };
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
 * by `sender` (the sender of the naming item), or by one of the keys in
 * `sender` if it is a list.
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
      opened = open(sealed, Array.isArray(sender) ? sender : [sender]);
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
  add(text(data, 'meeting-form-wanted'), requestSummary(data, content.meeting_request));
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
  // The note role on the text, not the list item (which stays one).
  const line = element('p', null, `${formatDay(data, day)} · ${text(data, 'js-unverified')}`);
  line.setAttribute('role', 'note');
  warning.append(line);
  return warning;
}

function sameKey(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function showMailbox({ focus = true } = {}) {
  const thread = await api(data, '/mailbox', { token: session.token });
  if (isUnjoinedFollowUp(thread)) return showWaiting(thread, focus);
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
  // A linked follow-up mailbox (issue 13) is served with its opening item,
  // the reporter's own follow-up report, whose id is its own, not the
  // linked report's (below).
  const opening = thread.joined !== null && typeof thread.joined === 'object';
  if (report.kind !== 'report' || !sameKey(report.itemId, report.reportId) || (!opening && hex(report.itemId) !== session.loginReportId)) {
    wipe(report.content);
    return refuseThread(thread, focus, 'js-report-substituted');
  }
  const content = readContent(report.content);
  wipe(report.content);
  // Only a follow-up report may stand for a report of another id, and only
  // for the id this log-in named (none when it was made before the link);
  // a pinned advisor's join record in that thread must name this mailbox.
  const joined =
    opening &&
    isFollowUpContent(content) &&
    isItemId(thread.report_id) &&
    (session.loginReportId === null || thread.report_id.toLowerCase() === session.loginReportId);
  if (opening && !joined) return refuseThread(thread, focus, 'js-report-substituted');
  let joinSeen = false;
  const advisors = content && pinnedAdvisors(content);
  if (!advisors) return refuseThread(thread, focus, 'js-report-unreadable');
  // The advisor keys pinned in the reporter's own sealed report: the only
  // senders whose messages are shown as the advisor's.
  session.advisors = advisors;
  session.recoveryKey = isKey(content.recovery_key) ? unhex(content.recovery_key) : null;
  session.reportId = joined ? unhex(thread.report_id) : report.itemId;
  session.recipients = [...session.advisors.map((a) => a.key), ...(session.recoveryKey ? [session.recoveryKey] : []), own];
  list.append(joined ? openingEntry(data, session.mk, own, thread.joined.day) : reportEntry(content, thread.created_day));

  // Who may write here: the reporter, the pinned advisors, and (for key
  // introductions only) the pinned recovery key; an introduction from a
  // trusted key adds the new key, in thread order.
  const senders = [own, ...session.advisors.map((a) => a.key), ...(session.recoveryKey ? [session.recoveryKey] : [])];
  session.senders = senders;
  const seen = new Set();
  // Approval requests (shown once the reporter's answers are known) and
  // the reporter's answers, in thread order.
  const requests = [];
  // Meetings (issue 13, js/meeting.js): requests, proposals, choices.
  const meetings = meetingThread(data, {
    send: sendMessage,
    refresh: () => showMailbox({ focus: false }),
    status: $('thread-status'),
    describe: (error) => describeError(data, error),
    after: $('wish-section'),
    before: $('thread-title'),
  });
  const answers = [];
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
    if (body.format === 'meldkluis-mailbox-join/1') {
      // What the advisor registered of the conversation (issue 13): from
      // a pinned advisor, naming this very mailbox, in a linked follow-up.
      const record = joined && advisor ? readJoinRecord(session.mk, body, own) : null;
      if (!record) {
        list.append(unverified(message.created_day));
        continue;
      }
      joinSeen = true;
      list.append(joinEntry(data, record, advisor.name, message.created_day));
      continue;
    }
    const meetingEntry = meetings.take(body, { fromSelf, advisor, day: message.created_day });
    if (meetingEntry) {
      list.append(meetingEntry);
      continue;
    }
    if (
      (body.format === 'meldkluis-approval-request/1' && !advisor) ||
      ((body.format === 'meldkluis-approval/1' || body.format === 'meldkluis-forward-wish/1') && !fromSelf)
    ) {
      // Only an advisor asks, and only the reporter answers or wishes.
      list.append(unverified(message.created_day));
      continue;
    }
    if (body.format === 'meldkluis-approval-request/1') {
      const entry = element('li', 'thread__item thread__item--advisor thread__item--request');
      // Filled (and shown) by showRequests once the answers are known.
      entry.hidden = true;
      list.append(entry);
      requests.push({ entry, body, advisor, day: message.created_day });
      continue;
    }
    if (body.format === 'meldkluis-approval/1') {
      const answer = readApprovalAnswer(body, message.created_day);
      list.append(answerNote(answer, message.created_day));
      if (answer) answers.push(answer);
      continue;
    }
    if (body.format === 'meldkluis-forward-wish/1') {
      const entry = element('li', 'thread__item thread__item--own');
      entry.append(element('p', 'thread__meta', `${text(data, 'js-you')} · ${formatDay(data, message.created_day)}`));
      entry.append(element('p', null, text(data, 'js-forward-wish-own')));
      entry.append(element('p', 'thread__text', String(body.text ?? '')));
      list.append(entry);
      continue;
    }
    const entry = element('li', `thread__item ${fromSelf ? 'thread__item--own' : 'thread__item--advisor'}`);
    entry.append(element('p', 'thread__meta', `${fromSelf ? text(data, 'js-you') : advisor?.name ?? text(data, 'js-advisor')} · ${formatDay(data, message.created_day)}`));
    const paragraphs = String(body.text ?? '').split(/\n{2,}/);
    for (const paragraph of paragraphs) entry.append(element('p', 'thread__text', paragraph));
    if (Array.isArray(body.attachments) && body.attachments.length) entry.append(attachmentList(body.attachments, opened.sender));
    list.append(entry);
  }
  if (joined && !joinSeen) list.append(missingJoinEntry(data));
  if (thread.messages.length === 0) list.append(element('li', 'thread__empty', text(data, 'mailbox-no-messages')));
  const forwards = readForwards(thread);
  showRequests(requests, answers, await forwardsUsing(answers, forwards));
  meetings.finish();
  showForwards(forwards);
  return finishShowing(thread, focus);
}

// ---- Approval requests, the reporter's answers and forwarding (issue 12) ----
//
// The contents are in web-client/REPORT-CONTENT.md ("Approval request",
// "Approval", "Forward wish"). The subject hash is crypto-core's
// (`approval_subject_hash` in the wasm, FORMAT.md "Approval subject hash").

/** `length` lowercase hex digits (the contents write hex in lowercase). */
function isHex(value, length) {
  return typeof value === 'string' && value.length === length && /^[0-9a-f]+$/.test(value);
}

/** A label, name or type as the subject hash takes it: text of at most 1 KiB. */
function isShortText(value) {
  return typeof value === 'string' && new TextEncoder().encode(value).length <= 1024;
}

const SUBJECTS = ['forward', 'minutes'];

/** An approval request's fields, checked; or null if it has another shape. */
function readApprovalRequest(body) {
  if (!SUBJECTS.includes(body.subject) || !isHex(body.draft_id, 32) || !isHex(body.subject_hash, 64)) return null;
  if (!Number.isSafeInteger(body.version) || body.version < 1 || body.version > 0xffff_ffff) return null;
  if (typeof body.text !== 'string' || !Array.isArray(body.attachments) || !Array.isArray(body.recipients)) return null;
  const attachments = body.attachments.map((a) =>
    a && isHex(a.id, 32) && isShortText(a.name) && isShortText(a.type) && Number.isSafeInteger(a.size) && a.size >= 0 && isHex(a.sha256, 64)
      ? { id: a.id, name: a.name, type: a.type, size: a.size, sha256: a.sha256 }
      : null,
  );
  const recipients = body.recipients.map((r) =>
    r && isHex(r.public_key, 64) && isShortText(r.label) ? { publicKey: r.public_key, label: r.label } : null,
  );
  if (attachments.includes(null) || recipients.includes(null)) return null;
  if (body.subject === 'minutes' && recipients.length > 0) return null;
  return {
    subject: body.subject,
    draftId: body.draft_id,
    version: body.version,
    text: body.text,
    attachments,
    recipients,
    namedHash: body.subject_hash,
  };
}

/**
 * The subject hash of what this page shows of `request`, for this tenant
 * and this report: computed here, in the wasm, never read from the request.
 * Null if the wasm refuses the fields (over its limits).
 */
function subjectHash(request) {
  try {
    return hex(
      session.mk.approvalSubjectHash({
        kind: request.subject,
        tenant: data.tenant,
        reportId: session.reportId,
        draftId: unhex(request.draftId),
        version: request.version,
        text: request.text,
        attachments: request.attachments.map((a) => ({
          id: unhex(a.id),
          sha256: unhex(a.sha256),
          size: a.size,
          name: a.name,
          type: a.type,
        })),
        recipients: request.recipients.map((r) => ({ publicKey: unhex(r.publicKey), label: r.label })),
      }),
    );
  } catch {
    return null;
  }
}

const DECISIONS = ['approve', 'decline', 'withdraw'];

/**
 * Whether the reporter's own answers to one subject hash (`own`) include a
 * decline or a withdrawal. The advisor's console then never forwards with
 * that hash, whatever else the thread holds (REPORT-CONTENT.md, "Approval",
 * the console's rule 4): only a new version can still be approved.
 */
function forwardClosed(own) {
  return own.some((a) => a.decision === 'decline' || a.decision === 'withdraw');
}

/**
 * How a request of each subject is shown and answered. The checks and the
 * sending are the same for both (showRequests, answerRequest); the words
 * and the answers offered differ: a forward draft can be withdrawn once
 * approved, until used, and after a decline or withdrawal asks for a new
 * version; minutes (js/minutes.js) are settled by one answer and need
 * written corrections. `decisions` gets the last of the reporter's answers
 * to the hash and all of them, in thread order; `closed` (optional) what to
 * say when nothing is offered any more.
 */
const VIEWS = {
  forward: {
    title: (version) => text(data, 'js-approval-title-forward', { version }),
    intro: (advisor) => text(data, 'js-approval-intro-forward', { advisor }),
    textHeading: () => text(data, 'js-approval-text-forward'),
    decisions: (last, own) => {
      if (forwardClosed(own)) return [];
      return last?.decision === 'approve' ? ['withdraw'] : ['approve', 'decline'];
    },
    closed: (own) => (forwardClosed(own) ? text(data, 'js-approval-closed-forward') : null),
    button: (decision) => text(data, `js-approval-forward-${decision}`),
    commentLabel: () => text(data, 'js-approval-comment-forward'),
    commentMissing: null,
    state: (decision, day) => text(data, `js-approval-state-forward-${decision}`, { day }),
    own: (decision, version) => text(data, `js-approval-own-forward-${decision}`, { version }),
    sent: (decision) => text(data, `js-approval-sent-${decision}`),
    superseded: () => text(data, 'js-approval-superseded'),
  },
  minutes: minutesView(data),
};

/** One of the reporter's own answers, or null if it has another shape. */
function readApprovalAnswer(body, day) {
  if (!SUBJECTS.includes(body.subject) || !isHex(body.draft_id, 32) || !isHex(body.subject_hash, 64)) return null;
  if (!Number.isSafeInteger(body.version) || !DECISIONS.includes(body.decision)) return null;
  return { hash: body.subject_hash, decision: body.decision, version: body.version, subject: body.subject, day };
}

/** The note an own answer shows in the thread. */
function answerNote(answer, day) {
  const note = element('li', 'thread__item thread__item--own thread__item--answer');
  note.append(element('p', 'thread__meta', `${text(data, 'js-you')} · ${formatDay(data, day)}`));
  note.append(
    element(
      'p',
      null,
      answer ? VIEWS[answer.subject].own(answer.decision, answer.version) : text(data, 'js-approval-unreadable'),
    ),
  );
  return note;
}

/**
 * The forwards the server reports (`forwards` of GET mailbox): the forward
 * item's id (null if it is not 32 hex), the day and the recipient's label.
 */
function readForwards(thread) {
  if (!Array.isArray(thread.forwards)) return [];
  return thread.forwards
    .filter((f) => f && isDay(f.day) && typeof f.label === 'string')
    .map((f) => ({ itemId: isHex(f.item_id, 32) ? f.item_id : null, day: f.day, label: f.label }));
}

/** "Forwarded to <label> on <day>", under the status. */
function showForwards(forwards) {
  const list = $('forwards-value');
  list.replaceChildren(
    ...forwards.map((f) => element('li', null, text(data, 'js-forwarded-to', { label: f.label, day: formatDay(data, f.day) }))),
  );
  $('forwards-row').hidden = forwards.length === 0;
}

const FORWARD_ID_LABEL = new TextEncoder().encode('meldkluis forward item id v1');

/**
 * The item id (32 hex) of the forward made with the approval of
 * `subjectHash` (64 hex), as the advisor's console derives it
 * (REPORT-CONTENT.md, "Forward", "Item id"): the first 16 bytes of
 * SHA-256("meldkluis forward item id v1" || the 32 bytes of the hash).
 */
async function forwardItemId(subjectHash) {
  const input = new Uint8Array(FORWARD_ID_LABEL.length + 32);
  input.set(FORWARD_ID_LABEL);
  input.set(unhex(subjectHash), FORWARD_ID_LABEL.length);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', input));
  return hex(digest.subarray(0, 16));
}

/**
 * For each subject hash the reporter approved, the forward the server
 * lists as made with that approval: the one whose item id is derived from
 * the hash. One approval gives one forward (a second has the same id, which
 * the server refuses), and a forward made with another approval, to the
 * same recipient or not, does not use this one.
 */
async function forwardsUsing(answers, forwards) {
  const used = new Map();
  const approved = new Set(answers.filter((a) => a.subject === 'forward' && a.decision === 'approve').map((a) => a.hash));
  for (const hash of approved) {
    const id = await forwardItemId(hash);
    const forward = forwards.find((f) => f.itemId === id);
    if (forward) used.set(hash, forward);
  }
  return used;
}

/**
 * Fills the entry of every approval request, now that the answers are
 * known; `used` maps an approved subject hash to the forward made with it.
 */
function showRequests(requests, answers, used) {
  const shown = requests.map((r) => ({ ...r, request: readApprovalRequest(r.body) }));
  shown.forEach((item, index) => {
    const { entry, request, advisor, day } = item;
    entry.replaceChildren();
    entry.hidden = false;
    entry.append(element('p', 'thread__meta', `${advisor.name} · ${formatDay(data, day)}`));
    if (!request) {
      entry.classList.add('notice', 'notice--warning');
      entry.append(element('p', null, text(data, 'js-approval-unreadable')));
      return;
    }
    const computed = subjectHash(request);
    const view = VIEWS[request.subject];
    const newer = shown.some(
      (other, j) => j > index && other.request && other.request.draftId === request.draftId && other.request.version >= request.version,
    );
    entry.id = `request-${request.draftId}-${request.version}`;
    entry.tabIndex = -1;
    entry.append(element('h3', 'request__title', view.title(request.version)));
    entry.append(element('p', null, view.intro(advisor.name)));
    entry.append(element('h4', null, view.textHeading()));
    entry.append(element('div', 'request__text', request.text));
    if (request.subject === 'forward' || request.attachments.length) {
      entry.append(element('h4', null, text(data, 'js-approval-attachments')));
      if (request.attachments.length) entry.append(attachmentList(request.attachments, session.senders));
      else entry.append(element('p', null, text(data, 'js-approval-no-attachments')));
    }
    if (request.subject === 'forward') {
      entry.append(element('h4', null, text(data, 'js-approval-recipients')));
      const ul = element('ul', 'file-list');
      for (const recipient of request.recipients) {
        const li = element('li', null, recipient.label);
        const fingerprint = element('span', 'request__fingerprint', ` (${text(data, 'js-approval-fingerprint', { fingerprint: session.mk.keyFingerprint(unhex(recipient.publicKey)) })})`);
        fingerprint.translate = false;
        li.append(fingerprint);
        ul.append(li);
      }
      entry.append(ul);
    }
    if (computed === null || computed !== request.namedHash) {
      // Not approvable: what the request names as its hash is not the hash
      // of what it shows, so an approval could be read as consent to
      // something else.
      const warning = element('p', 'notice notice--warning', text(data, 'js-approval-hash-mismatch'));
      warning.setAttribute('role', 'alert');
      entry.append(warning);
      return;
    }
    const own = answers.filter((a) => a.hash === computed);
    const last = own[own.length - 1];
    const status = element('p', 'request__state');
    entry.append(status);
    if (last) {
      status.textContent = view.state(last.decision, formatDay(data, last.day));
    }
    // Used: the server lists the forward whose item id is derived from this
    // hash, which the reporter approved. Nothing to withdraw any more (also
    // when a newer version came later, or a withdrawal came too late).
    const forward = request.subject === 'forward' ? used.get(computed) : undefined;
    if (forward) {
      entry.append(element('p', null, text(data, 'js-approval-used', { label: forward.label, day: formatDay(data, forward.day) })));
      return;
    }
    if (newer) {
      entry.append(element('p', 'help', view.superseded()));
      return;
    }
    // Declined or withdrawn (a forward): nothing more to answer about this
    // hash; say how consent can still be given.
    const closed = view.closed?.(own);
    if (closed) {
      entry.append(element('p', 'help', closed));
      return;
    }
    const decisions = view.decisions(last, own);
    if (decisions.length) entry.append(answerForm(request, computed, index, decisions));
  });
}

/** The buttons (and the comment field, with "decline") to answer a request. */
function answerForm(request, hash, index, decisions) {
  const view = VIEWS[request.subject];
  const form = element('form', 'request__form');
  form.noValidate = true;
  const id = `request-${index}`;
  const status = element('p', 'request__status');
  status.id = `${id}-status`;
  status.setAttribute('role', 'status');
  let comment = null;
  if (decisions.includes('decline')) {
    const field = element('div', 'field');
    const label = element('label', null, view.commentLabel());
    label.htmlFor = `${id}-comment`;
    comment = element('textarea');
    comment.id = `${id}-comment`;
    comment.rows = 3;
    const error = element('p', 'field-error');
    error.id = `error-${id}-comment`;
    error.hidden = true;
    comment.setAttribute('aria-describedby', error.id);
    field.append(label, comment, error);
    form.append(field);
  }
  const actions = element('div', 'actions');
  for (const decision of decisions) {
    const button = element(
      'button',
      decision === 'approve' ? 'button button--primary' : 'button',
      view.button(decision),
    );
    button.type = 'button';
    button.id = `${id}-${decision}`;
    button.addEventListener('click', () => answerRequest(request, hash, decision, comment, form, status));
    actions.append(button);
  }
  form.append(actions, status);
  return form;
}

/**
 * Checks that every attachment a request names is the attachment item of
 * this report it names, with the size and SHA-256 it names: the hash covers
 * the attachments only through those values.
 */
async function checkAttachments(request) {
  for (const meta of request.attachments) {
    const sealed = await api(data, `/mailbox/attachments/${meta.id}`, { token: session.token, as: 'bytes' });
    let opened;
    try {
      opened = open(sealed, session.senders);
    } catch {
      throw new Refused('js-approval-attachment-mismatch');
    }
    let same = opened.kind === 'attachment' && sameKey(opened.reportId, session.reportId) && hex(opened.itemId) === meta.id && opened.content.length === meta.size;
    if (same) {
      const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', opened.content));
      same = hex(digest) === meta.sha256;
    }
    wipe(opened.content);
    if (!same) throw new Refused('js-approval-attachment-mismatch');
  }
}

/**
 * Sends the reporter's answer to a request, sealed like every reporter
 * message; `field` is the comment's textarea (with "decline"), or null.
 */
async function answerRequest(request, hash, decision, field, form, status) {
  const view = VIEWS[request.subject];
  const comment = field?.value.trim() ?? '';
  if (field) fieldError(field.id, null);
  if (decision === 'decline' && view.commentMissing && !comment) {
    fieldError(field.id, view.commentMissing());
    field.focus();
    return;
  }
  for (const button of form.querySelectorAll('button')) button.disabled = true;
  try {
    if (decision === 'approve' && request.attachments.length) {
      announce(status, text(data, 'js-approval-checking'));
      await checkAttachments(request);
    }
    announce(status, text(data, 'js-sending'));
    const content = {
      format: 'meldkluis-approval/1',
      subject: request.subject,
      draft_id: request.draftId,
      version: request.version,
      subject_hash: hash,
      decision,
    };
    if (comment) content.comment = comment;
    await sendMessage(content);
    await showMailbox({ focus: false });
    announce($('thread-status'), view.sent(decision));
    document.getElementById(`request-${request.draftId}-${request.version}`)?.focus();
  } catch (error) {
    const message = error instanceof Refused ? text(data, error.textId) : describeError(data, error);
    status.setAttribute('role', 'alert');
    announce(status, message);
    for (const button of form.querySelectorAll('button')) button.disabled = false;
  }
}

/** "Ask for forwarding": a forward wish, sealed like every reporter message. */
async function sendForwardWish(event) {
  event.preventDefault();
  if (!session?.reportId) return;
  const textValue = $('wish-text').value.trim();
  if (!textValue) {
    fieldError('wish-text', text(data, 'js-message-empty'));
    $('wish-text').focus();
    return;
  }
  fieldError('wish-text', null);
  $('wish-send').disabled = true;
  try {
    announce($('wish-status'), text(data, 'js-sending'));
    await sendMessage({ format: 'meldkluis-forward-wish/1', text: textValue });
    $('wish-form').reset();
    await showMailbox({ focus: false });
    announce($('wish-status'), text(data, 'js-forward-wish-sent'));
  } catch (error) {
    announce($('wish-status'), describeError(data, error));
  } finally {
    $('wish-send').disabled = false;
  }
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

/** An unlinked follow-up mailbox (issue 13): its reference, computed here, and that it waits. */
function showWaiting(thread, focus) {
  session.reportId = null;
  $('thread').replaceChildren(waitingEntry(data, session.mk, session.mailbox.publicKey, thread.follow_up));
  return finishShowing({ status: '', created_day: thread.follow_up.created_day, agreed_update_date: null, deadlines: [] }, focus);
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
  $('wish-section').hidden = session.reportId === null;
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

/** Seals an item of this report as every reporter item is sealed: by the mailbox key, to the thread's recipients. */
function seal(kind, itemId, content) {
  return session.mk.sealItem({
    kind,
    tenant: data.tenant,
    itemId,
    reportId: session.reportId,
    senderSecretKey: session.mailbox.secretKey,
    recipients: session.recipients,
    content,
  });
}

/** Seals `content` (an object, see REPORT-CONTENT.md) as a message of this thread and sends it. */
async function sendMessage(content) {
  const bytes = encodeContent(content);
  const item = seal('message', randomItemId(), bytes);
  wipe(bytes);
  await api(data, '/mailbox/messages', { method: 'POST', body: { item: base64(item) }, token: session.token });
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
  const files = [...$('reply-attachments').files, ...voice.files()];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > data.maxAttachmentBytes) {
    fieldError('reply-attachments', text(data, 'js-attachments-too-large', { max: formatSize(data, data.maxAttachmentBytes) }));
    $('reply-attachments').focus();
    return;
  }
  fieldError('reply-attachments', null);
  $('reply-send').disabled = true;
  try {
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
    await sendMessage({ format: 'meldkluis-message/1', text: textValue, attachments });
    $('reply-form').reset();
    voice.clear();
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
// Voice messages (the recorder loads only when asked): added to the reply's files.
const voice = offerVoice(data, $('reply-attachments').closest('.field'), 'message');
$('reply-form').addEventListener('submit', reply);
$('wish-form').addEventListener('submit', sendForwardWish);
$('notice-form').addEventListener('submit', saveNotice);
$('notice-remove').addEventListener('click', removeNotice);
$('logout').addEventListener('click', logOut);
$('login-button').disabled = false;
