// Following a conversation online (issue 13): a reporter who already spoke
// to an advisor (by phone, in a meeting) makes their own mailbox here, with
// a login code only they get, exactly as a report does (report.js's one
// code path: this file only supplies the follow-up's content and screens),
// and reads its short mailbox reference aloud to the advisor, who links the
// oral report to it. The advisor never learns the login code.
//
// The reference shown is computed here, from this browser's own mailbox
// key (crypto-core's mailbox_reference through the wasm), never taken from
// the server: a server that wanted the advisor to link its own mailbox
// would have to make the reporter read out a reference it chose.
//
// Contents: web-client/REPORT-CONTENT.md ("Follow-up report", "Mailbox join
// record").

import { formatDay, hex, text } from './common.js';

const $ = (id) => document.getElementById(id);

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

// ---- The report page ----

/**
 * The choice at the top of the report form between a new report and a
 * follow-up mailbox. In follow-up mode every part of the form is hidden
 * but those marked `data-follow-up="keep"` (the advisors, the notice
 * address, the button and progress), and the button says what it does.
 * Returns `chosen()`, read when the form is sent.
 */
export function offerFollowUp(data, form) {
  const choice = $('follow-up-choice');
  const radio = $('kind-follow-up');
  if (!choice || !radio) return { chosen: () => false };
  const send = $('send');
  const sendText = send.textContent;
  const update = () => {
    const on = radio.checked;
    for (const child of form.children) {
      if (child === choice || child.dataset.followUp === 'keep') continue;
      if (on && !child.hidden) {
        child.hidden = true;
        child.dataset.hiddenForFollowUp = 'true';
      } else if (!on && child.dataset.hiddenForFollowUp === 'true') {
        child.hidden = false;
        delete child.dataset.hiddenForFollowUp;
      }
    }
    $('follow-up-explain').hidden = !on;
    send.textContent = on ? text(data, 'oral-follow-up-send') : sendText;
  };
  for (const input of choice.querySelectorAll('input[name="kind"]')) input.addEventListener('change', update);
  // The start page's link "I have already spoken to an advisor" lands here.
  if (window.location.hash === '#follow-up') {
    radio.checked = true;
  }
  update();
  return { chosen: () => radio.checked };
}

/**
 * The follow-up's content: a report with no answers, category or
 * attachments, anonymous, pinning the chosen advisors and the recovery
 * key exactly as a report does, and `follow_up: true`.
 */
export function followUpContent(data, advisors, recoveryKey) {
  return {
    format: 'meldkluis-report/1',
    language: data.lang,
    category: null,
    answers: [],
    reporter: { anonymous: true },
    advisors,
    recovery_key: recoveryKey,
    attachments: [],
    follow_up: true,
  };
}

/**
 * The code screen of a follow-up: the mailbox reference to read aloud,
 * computed here from the mailbox key, above the login code; the next
 * screen says what happens next instead of the new report's clocks.
 */
export function showFollowUpCode(data, mk, mailboxPublicKey) {
  $('follow-up-reference').textContent = mk.mailboxReference(mailboxPublicKey);
  $('follow-up-reference-area').hidden = false;
  $('follow-up-next').hidden = false;
  for (const part of document.querySelectorAll('[data-new-report-only]')) part.hidden = true;
}

// ---- The mailbox ----

/** A log-in or `GET mailbox` answer of a follow-up mailbox not yet linked. */
export function isUnjoinedFollowUp(answer) {
  return (
    answer !== null &&
    typeof answer === 'object' &&
    answer.report_id === null &&
    answer.follow_up !== null &&
    typeof answer.follow_up === 'object'
  );
}

/** The mailbox reference of this mailbox, computed here. */
export function ownReference(mk, mailboxPublicKey) {
  return mk.mailboxReference(mailboxPublicKey);
}

/**
 * What the mailbox shows while no advisor has linked the conversation:
 * the reference to read aloud (computed here) and until when it waits.
 */
export function waitingEntry(data, mk, mailboxPublicKey, followUp) {
  const entry = element('li', 'thread__item thread__item--note');
  entry.id = 'follow-up-waiting';
  entry.append(element('h3', null, text(data, 'oral-mailbox-waiting-title')));
  entry.append(element('p', null, text(data, 'oral-mailbox-waiting')));
  entry.append(element('p', null, text(data, 'oral-mailbox-reference-label')));
  const reference = element('p', 'login-code', ownReference(mk, mailboxPublicKey));
  reference.id = 'mailbox-reference';
  reference.translate = false;
  entry.append(reference);
  if (typeof followUp.expires_day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(followUp.expires_day)) {
    entry.append(element('p', null, text(data, 'oral-mailbox-expires', { day: formatDay(data, followUp.expires_day) })));
  }
  return entry;
}

/** Whether an opened report content is a follow-up's. */
export function isFollowUpContent(content) {
  return content !== null && typeof content === 'object' && content.follow_up === true;
}

/** The opening item of a linked follow-up: the mailbox the reporter made. */
export function openingEntry(data, mk, mailboxPublicKey, day) {
  const entry = element('li', 'thread__item thread__item--own');
  entry.append(
    element('p', 'thread__meta', `${text(data, 'js-you')} · ${formatDay(data, day)}`),
    element('p', null, text(data, 'oral-mailbox-opening', { reference: ownReference(mk, mailboxPublicKey) })),
  );
  return entry;
}

/**
 * A join record, checked against this mailbox: it must name this
 * mailbox's own key and its reference (REPORT-CONTENT.md). `null` when it
 * is not one that links this mailbox.
 */
export function readJoinRecord(mk, body, mailboxPublicKey) {
  if (body?.format !== 'meldkluis-mailbox-join/1') return null;
  const key = hex(mailboxPublicKey);
  if (body.mailbox_public_key !== key || body.reference !== mk.mailboxReference(mailboxPublicKey)) return null;
  if (typeof body.text !== 'string') return null;
  return { reference: body.reference, text: body.text };
}

/** A join record from an advisor the report pins: what was registered. */
export function joinEntry(data, record, advisorName, day) {
  const entry = element('li', 'thread__item thread__item--advisor');
  entry.id = 'follow-up-joined';
  entry.append(
    element('p', 'thread__meta', `${advisorName} · ${formatDay(data, day)}`),
    element('h3', null, text(data, 'oral-mailbox-joined-title')),
  );
  for (const paragraph of record.text.split(/\n{2,}/)) entry.append(element('p', 'thread__text', paragraph));
  return entry;
}

/** The warning of a linked follow-up without a pinned advisor's join record. */
export function missingJoinEntry(data) {
  const warning = element('li', 'notice notice--warning', text(data, 'oral-mailbox-no-join-record'));
  warning.setAttribute('role', 'alert');
  return warning;
}
