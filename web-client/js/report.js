// The reporting page: reads the form, makes the login code, derives the
// mailbox, seals the report and its attachments in this browser and sends
// only ciphertext. Then shows the code once, asks the reporter to confirm
// they kept it, and shows the next steps.
//
// The report's content is the JSON document described in
// web-client/REPORT-CONTENT.md.

import { randomItemId } from './meldkluis.js';
import {
  api,
  announce,
  ApiError,
  BadAnswerError,
  base64,
  describeError,
  deriveMailbox,
  download,
  encodeContent,
  fieldError,
  formatDay,
  formatSize,
  hex,
  loadCrypto,
  NetworkError,
  pageData,
  readFile,
  text,
  unhex,
  wipe,
} from './common.js';
import { addReportSection as addMeetingSection, readReportRequest as readMeetingRequest } from './meeting.js';
import { offerVoice } from './voice-loader.js';
import { followUpContent, offerFollowUp, showFollowUpCode } from './follow-up.js';

const data = pageData();
const $ = (id) => document.getElementById(id);
const form = $('report-form');
// The optional meeting request (issue 13), after the questions.
addMeetingSection(data, $('questions-title').closest('section'));
// Voice messages (the recorder loads only when asked): added to the files.
const voice = offerVoice(data, $('attachments')?.closest('.field'), 'report');
// "I have already spoken to an advisor" (issue 13): a follow-up mailbox
// made by the same code path as a report.
const followUp = offerFollowUp(data, form);

// Start the slow parts while the reporter reads and types.
const crypto = loadCrypto(data);
crypto.catch(() => {});

/** The advisors' keys changed between showing them and sealing. */
class KeysChanged extends Error {}

/**
 * Shows the keys a report will be sealed to, with fingerprints computed
 * here from the keys themselves (not taken from the server), so a reporter
 * can compare them with the ones the organisation publishes. Sealing then
 * uses exactly these keys: if the server serves others at send time, the
 * report is not sent.
 */
async function showKeys() {
  const { mk } = await crypto;
  const config = await api(data, '/config');
  const list = $('advisor-key-list');
  const add = (label, publicKey) => {
    const name = document.createElement('dt');
    name.textContent = label;
    const fingerprint = document.createElement('dd');
    fingerprint.translate = false;
    fingerprint.textContent = mk.keyFingerprint(unhex(publicKey));
    list.append(name, fingerprint);
  };
  list.replaceChildren();
  for (const advisor of config.advisors) add(advisor.display_name, advisor.public_key);
  add(text(data, 'report-keys-recovery'), config.recovery_key.public_key);
  $('advisor-keys').hidden = false;
  return {
    advisors: new Map(config.advisors.map((a) => [a.id, a.public_key])),
    recovery: config.recovery_key.public_key,
  };
}
const shownKeys = showKeys();
shownKeys.catch(() => {});

/** The reporter's answers, checked; or the list of problems. */
function readForm() {
  const problems = [];
  if (followUp.chosen()) {
    // A follow-up mailbox: only whom it pins and the notice address.
    return { followUp: true, problems, advisorIds: readAdvisors(problems), files: [], noticeEmail: readNoticeEmail(problems) };
  }
  const answers = [];
  for (const question of data.questions) {
    const wrapper = form.querySelector(`[data-question-id="${CSS.escape(question.id)}"]`);
    const kind = wrapper.dataset.kind;
    const required = wrapper.dataset.required === 'true';
    const id = `q-${question.id}`;
    let value = null;
    let answer = null;
    if (kind === 'text' || kind === 'long_text' || kind === 'date') {
      const raw = $(id).value.trim();
      if (raw) {
        value = raw;
        answer = raw;
      }
    } else if (kind === 'multiple_choice') {
      const checked = [...wrapper.querySelectorAll('input:checked')].map((i) => i.value);
      if (checked.length) {
        value = checked;
        answer = checked.map((v) => question.options.find((o) => o.id === v)?.label ?? v);
      }
    } else {
      const checked = wrapper.querySelector('input:checked');
      if (checked) {
        value = checked.value;
        answer = kind === 'yes_no' ? data.yesNo[checked.value] : question.options.find((o) => o.id === checked.value)?.label ?? checked.value;
      }
    }
    const grouped = kind === 'choice' || kind === 'multiple_choice' || kind === 'yes_no';
    if (required && value === null) {
      const message = text(data, grouped ? 'js-field-choose' : 'js-field-required');
      problems.push({ id, focus: grouped ? wrapper.querySelector('input').id : id, label: question.label, message });
      fieldError(id, message);
    } else {
      fieldError(id, null);
    }
    answers.push({ id: question.id, question: question.label, type: kind, value, answer });
  }

  const meeting = readMeetingRequest(data);
  problems.push(...meeting.problems);

  const categoryInput = form.querySelector('input[name="category"]:checked');
  const category = categoryInput && categoryInput.value
    ? { id: categoryInput.value, label: data.categories.find((c) => c.id === categoryInput.value)?.label ?? categoryInput.value }
    : null;

  const named = $('identity-named').checked;
  let reporter = { anonymous: true };
  if (named) {
    const name = $('reporter-name').value.trim();
    if (!name) {
      const message = text(data, 'js-field-required');
      problems.push({ id: 'reporter-name', focus: 'reporter-name', label: document.querySelector('label[for="reporter-name"]').textContent, message });
      fieldError('reporter-name', message);
    } else {
      fieldError('reporter-name', null);
    }
    reporter = {
      anonymous: false,
      name,
      contact: $('reporter-contact').value.trim(),
      employer_may_see: $('reporter-consent').checked,
    };
  }

  const advisorIds = readAdvisors(problems);

  const files = [...$('attachments').files, ...voice.files()];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > data.maxAttachmentBytes) {
    const message = text(data, 'js-attachments-too-large', { max: formatSize(data, data.maxAttachmentBytes) });
    problems.push({ id: 'attachments', focus: 'attachments', label: $('attachments-title').textContent, message });
    fieldError('attachments', message);
  } else {
    fieldError('attachments', null);
  }

  const noticeEmail = readNoticeEmail(problems);

  return { problems, answers, category, reporter, advisorIds, files, noticeEmail, meetingRequest: meeting.value };
}

/** The chosen advisors' ids (a report and a follow-up mailbox alike); a problem when none. */
function readAdvisors(problems) {
  const advisorIds = [...form.querySelectorAll('input[name="advisor"]:checked')].map((i) => Number(i.value));
  if (advisorIds.length === 0) {
    const message = text(data, 'js-advisors-none');
    const first = form.querySelector('input[name="advisor"]');
    problems.push({ id: 'advisors', focus: first?.id, label: $('advisors-title').textContent, message });
    fieldError('advisors', message);
  } else {
    fieldError('advisors', null);
  }
  return advisorIds;
}

/** The notice address, if any (a report and a follow-up mailbox alike); a problem when malformed. */
function readNoticeEmail(problems) {
  const noticeEmail = $('notice-email').value.trim();
  if (noticeEmail && !$('notice-email').checkValidity()) {
    const message = text(data, 'js-field-email');
    problems.push({ id: 'notice-email', focus: 'notice-email', label: document.querySelector('label[for="notice-email"]').textContent, message });
    fieldError('notice-email', message);
  } else {
    fieldError('notice-email', null);
  }
  return noticeEmail;
}

/** Lists the problems above the form, each a link to its field, and focuses the list. */
function showProblems(problems) {
  const summary = $('error-summary');
  const list = $('error-summary-list');
  list.replaceChildren();
  if (problems.length === 0) {
    summary.hidden = true;
    return;
  }
  $('error-summary-title').textContent = text(data, 'js-error-summary', { count: problems.length });
  for (const problem of problems) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `#${problem.focus}`;
    link.textContent = `${problem.label.trim()}: ${problem.message}`;
    link.addEventListener('click', (event) => {
      event.preventDefault();
      $(problem.focus)?.focus();
    });
    item.append(link);
    list.append(item);
  }
  summary.hidden = false;
  summary.focus();
}

function setBusy(busy, message) {
  $('send').disabled = busy;
  $('send-progress').hidden = !busy;
  announce($('send-status'), message ?? '');
}

/**
 * Everything that goes to the server for one report, made once so that a
 * retry after a network failure resends exactly the same report.
 */
let prepared = null;

async function prepare(input) {
  const { mk, module } = await crypto;
  announce($('send-status'), text(data, 'js-deriving'));
  const config = await api(data, '/config');
  // What was shown is what is sealed to (if showing failed, nothing was
  // shown and there is nothing to hold the keys to).
  const shown = await shownKeys.catch(() => null);
  const advisors = input.advisorIds.map((id) => {
    const advisor = config.advisors.find((a) => a.id === id);
    if (!advisor) throw new KeysChanged();
    if (shown && shown.advisors.get(id) !== advisor.public_key) throw new KeysChanged();
    return advisor;
  });
  if (shown && shown.recovery !== config.recovery_key.public_key) throw new KeysChanged();
  const recoveryKey = unhex(config.recovery_key.public_key);
  const code = mk.generateLoginCode();
  const mailbox = await deriveMailbox(data, module, code);
  announce($('send-status'), text(data, 'js-encrypting'));
  const recipients = [...advisors.map((a) => unhex(a.public_key)), recoveryKey, mailbox.publicKey];
  const reportId = randomItemId();

  const attachments = [];
  for (const file of input.files) {
    const itemId = randomItemId();
    attachments.push({ file, itemId, meta: { id: hex(itemId), name: file.name, type: file.type || 'application/octet-stream', size: file.size } });
  }
  const pinned = advisors.map((a) => ({
    name: a.display_name,
    public_key: a.public_key,
    fingerprint: mk.keyFingerprint(unhex(a.public_key)),
  }));
  const content = input.followUp ? followUpContent(data, pinned, config.recovery_key.public_key) : {
    format: 'meldkluis-report/1',
    language: data.lang,
    category: input.category,
    answers: input.answers,
    reporter: input.reporter,
    advisors: pinned,
    recovery_key: config.recovery_key.public_key,
    attachments: attachments.map((a) => a.meta),
    ...(input.meetingRequest ? { meeting_request: input.meetingRequest } : {}),
  };
  const contentBytes = encodeContent(content);
  const item = mk.sealItem({
    kind: 'report',
    tenant: data.tenant,
    itemId: reportId,
    reportId,
    senderSecretKey: mailbox.secretKey,
    recipients,
    content: contentBytes,
  });
  wipe(contentBytes);
  const body = {
    item: base64(item),
    mailbox_id: hex(mailbox.mailboxId),
    mailbox_public_key: hex(mailbox.publicKey),
    auth_secret: hex(mailbox.authSecret),
  };
  if (input.noticeEmail) {
    body.notice_email = input.noticeEmail;
    body.language = data.lang;
  }
  // A follow-up mailbox (issue 13) is posted where the server keeps them
  // until an advisor links it; everything else is a report's.
  const path = input.followUp ? '/follow-ups' : '/reports';
  return { mk, code, mailbox, reportId, recipients, attachments, body, path, followUp: Boolean(input.followUp), sent: false, uploaded: 0 };
}

/** Sends the prepared report and its attachments; resumable after a failure. */
/**
 * True for the server's answer that an item with this id is already
 * stored (`conflict`), which is what a retry of a lost answer gets; any
 * other refusal, also another 409 such as `tenant_not_ready`, is a
 * failure.
 */
function isAlreadyStored(error) {
  return error instanceof ApiError && error.status === 409 && error.code === 'conflict';
}

async function send(report) {
  if (!report.sent) {
    announce($('send-status'), text(data, 'js-sending'));
    const retry = report.attempted;
    report.attempted = true;
    try {
      report.answer = await api(data, report.path, { method: 'POST', body: report.body });
      performance.mark('report-acknowledged');
    } catch (error) {
      if (!(retry && isAlreadyStored(error))) throw error;
      // A retry of a report the server did store (its answer was lost on
      // the way) is refused as a duplicate: logging in proves it is ours.
      const login = await api(data, '/mailbox/login', {
        method: 'POST',
        body: { mailbox_id: report.body.mailbox_id, auth_secret: report.body.auth_secret },
      });
      await api(data, '/mailbox/logout', { method: 'POST', token: login.token }).catch(() => {});
      report.answer = { created_day: null };
    }
    report.sent = true;
  }
  if (report.attachments.length > report.uploaded) {
    const login = await api(data, '/mailbox/login', {
      method: 'POST',
      body: { mailbox_id: report.body.mailbox_id, auth_secret: report.body.auth_secret },
    });
    const count = report.attachments.length;
    while (report.uploaded < count) {
      const attachment = report.attachments[report.uploaded];
      announce($('send-status'), text(data, 'js-uploading', { number: report.uploaded + 1, count }));
      const bytes = await readFile(attachment.file);
      const sealed = report.mk.sealItem({
        kind: 'attachment',
        tenant: data.tenant,
        itemId: attachment.itemId,
        reportId: report.reportId,
        senderSecretKey: report.mailbox.secretKey,
        recipients: report.recipients,
        content: bytes,
      });
      wipe(bytes);
      try {
        await api(data, '/mailbox/attachments', { method: 'POST', body: sealed, token: login.token });
      } catch (error) {
        if (!isAlreadyStored(error)) throw error;
      }
      report.uploaded += 1;
    }
    await api(data, '/mailbox/logout', { method: 'POST', token: login.token }).catch(() => {});
  }
}

async function submit(event) {
  event.preventDefault();
  // For the budget measurement (scripts/measure-budgets.sh): press to
  // acknowledgement, as the browser sees it.
  performance.mark('report-send');
  $('send-retry').hidden = true;
  announce($('send-error'), '');
  if (!prepared) {
    const input = readForm();
    showProblems(input.problems);
    if (input.problems.length) return;
    setBusy(true, text(data, 'js-loading'));
    try {
      prepared = await prepare(input);
    } catch (error) {
      setBusy(false);
      announce($('send-error'), error instanceof KeysChanged ? text(data, 'js-keys-changed') : describeError(data, error));
      return;
    }
  } else {
    setBusy(true, text(data, 'js-sending'));
  }
  try {
    await send(prepared);
  } catch (error) {
    setBusy(false);
    const retryable = error instanceof NetworkError || error instanceof BadAnswerError || (error instanceof ApiError && error.status >= 500);
    if (prepared.sent && !retryable) {
      // The report is stored: an attachment the server refuses must not
      // cost the reporter the code of the stored report. The code is
      // shown, with a note that not every attachment arrived.
      prepared.attachmentsRefused = true;
      setBusy(false, text(data, 'js-sent'));
      showCode(prepared);
      return;
    }
    announce($('send-error'), describeError(data, error));
    // A network failure, or an answer that could not be read (the report
    // may be stored all the same), keeps everything prepared: the retry
    // sends the same sealed report, under the same code, and a stored one
    // is recognised by logging in.
    if (retryable) {
      $('send-retry').hidden = false;
      $('send').disabled = true;
    } else {
      forget();
    }
    return;
  }
  setBusy(false, text(data, 'js-sent'));
  showCode(prepared);
}

/** Drops the keys of a prepared report. */
function forget() {
  if (!prepared) return;
  wipe(prepared.mailbox.secretKey);
  wipe(prepared.mailbox.authSecret);
  prepared.body.auth_secret = '';
  prepared = null;
}

let code = null;

function showCode(report) {
  code = report.code;
  forget();
  form.reset();
  voice.clear();
  $('report-screen').hidden = true;
  $('login-code').textContent = code;
  const day = report.answer?.created_day;
  $('received-date').textContent = day ? text(data, 'code-received', { date: formatDay(data, day) }) : '';
  // The report is stored; an address that could not be kept is said
  // plainly, with where to add it later.
  $('notice-not-saved').hidden = report.answer?.notice_email_saved !== false;
  $('attachments-not-sent').hidden = !report.attachmentsRefused;
  $('code-screen').hidden = false;
  if (report.followUp) showFollowUpCode(data, report.mk, report.mailbox.publicKey);
  $('code-title').focus();
}

function codeFile() {
  const lines = [
    text(data, 'code-file-title', { tenant: data.tenantName }),
    '',
    code,
    '',
    text(data, 'code-file-where', { url: new URL(data.mailboxUrl, window.location.href).href }),
    text(data, 'code-file-warning'),
    '',
  ];
  return new TextEncoder().encode(lines.join('\r\n'));
}

$('copy-code').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(code);
    announce($('copy-status'), text(data, 'js-copied'));
  } catch {
    announce($('copy-status'), text(data, 'js-copy-failed'));
  }
});
$('download-code').addEventListener('click', () => download(codeFile(), 'meldkluis-login-code.txt', 'text/plain'));
$('print-code').addEventListener('click', () => window.print());

$('confirm-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // Look-alikes and case do not matter, as when logging in.
  const canonical = (s) => s.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1').replace(/U/g, 'V');
  const typed = canonical($('confirm-input').value);
  if (typed.length !== 4 || !canonical(code).endsWith(typed)) {
    fieldError('confirm-input', text(data, 'js-confirm-mismatch'));
    $('confirm-input').focus();
    return;
  }
  fieldError('confirm-input', null);
  // The code leaves the page: from now on only the reporter has it.
  $('login-code').textContent = '';
  code = null;
  $('code-screen').hidden = true;
  $('next-screen').hidden = false;
  $('next-title').focus();
});

// Names of the chosen files, with their sizes.
$('attachments').addEventListener('change', () => {
  const list = $('attachment-list');
  list.replaceChildren(
    ...[...$('attachments').files].map((file) => {
      const item = document.createElement('li');
      item.textContent = `${file.name} (${formatSize(data, file.size)})`;
      return item;
    }),
  );
});

// The name fields only when the reporter chooses to give a name.
for (const radio of form.querySelectorAll('input[name="identity"]')) {
  radio.addEventListener('change', () => {
    $('identity-details').hidden = !$('identity-named').checked;
  });
}

form.addEventListener('submit', submit);
$('send-retry').addEventListener('click', () => form.requestSubmit());
// Only now, with the script running, can the form be sent.
$('send').disabled = false;
