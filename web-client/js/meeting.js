// Meetings on request (issue 13): the reporter asks for a meeting or call
// (in the report form, or later in the mailbox), an advisor proposes
// moments, the reporter chooses one, and both see the agreed moment.
//
// The contents are in web-client/REPORT-CONTENT.md ("Meetings"). What the
// server serves is not taken on its word: a proposal or confirmation counts
// only when it opened with an advisor key the mailbox believes (pinned in
// the report, or introduced in the thread), a request or choice only when
// it opened with the mailbox's own key; anything else, and any content of
// the wrong shape, is shown as a warning with nothing to choose.
//
// Everything shown is set as text (never as HTML).

import { announce, fieldError, formatDay, text } from './common.js';

/** The ways to talk, in the order they are offered. */
export const WAYS = ['in_person', 'phone', 'video'];

export const REQUEST_FORMAT = 'meldkluis-meeting-request/1';
export const PROPOSAL_FORMAT = 'meldkluis-meeting-proposal/1';
export const CHOICE_FORMAT = 'meldkluis-meeting-choice/1';
export const CONFIRMATION_FORMAT = 'meldkluis-meeting-confirmation/1';
const FORMATS = [REQUEST_FORMAT, PROPOSAL_FORMAT, CHOICE_FORMAT, CONFIRMATION_FORMAT];

/** Longest texts, in characters (REPORT-CONTENT.md). */
const MAX_TIMES = 2000;
const MAX_CONTACT = 500;
const MAX_PLACE = 500;
const MAX_TEXT = 2000;
const MAX_MOMENTS = 10;

function el(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

/** A labelled field: a label, an optional help line, the control and its error line. */
function labelled(id, label, control, help) {
  const field = el('div', 'field');
  const described = [];
  const labelNode = el('label', null, label);
  labelNode.htmlFor = id;
  field.append(labelNode);
  if (help) {
    const helpNode = el('p', 'help', help);
    helpNode.id = `help-${id}`;
    described.push(helpNode.id);
    field.append(helpNode);
  }
  control.id = id;
  described.push(`error-${id}`);
  control.setAttribute('aria-describedby', described.join(' '));
  const error = el('p', 'field-error');
  error.id = `error-${id}`;
  error.hidden = true;
  field.append(control, error);
  return field;
}

function characters(value) {
  return [...value].length;
}

/** Text of at most `max` characters; `optional` also allows it to be absent or null. */
function isText(value, max, optional = false) {
  if (optional && (value === undefined || value === null)) return true;
  return typeof value === 'string' && characters(value) <= max;
}

function isHex(value, length) {
  return typeof value === 'string' && value.length === length && /^[0-9a-f]+$/.test(value);
}

function isWays(value) {
  return Array.isArray(value) && value.length >= 1 && value.every((w) => WAYS.includes(w)) && new Set(value).size === value.length;
}

/** A local time of the tenant as the contents write it: "YYYY-MM-DDTHH:MM", a real day. */
export function isLocalTime(value) {
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// ---- Reading the contents (each reader returns null for a wrong shape) ----

/** A meeting request's fields (the thread message, or `meeting_request` of a report). */
export function readRequest(body) {
  if (!body || typeof body !== 'object' || !isWays(body.ways) || !isText(body.times, MAX_TIMES)) return null;
  if (!isText(body.contact, MAX_CONTACT, true)) return null;
  return { ways: body.ways, times: body.times, contact: body.contact ?? '' };
}

function readProposal(body) {
  if (!isHex(body.proposal_id, 32) || !WAYS.includes(body.way) || !Array.isArray(body.moments)) return null;
  if (body.moments.length < 1 || body.moments.length > MAX_MOMENTS) return null;
  if (!isText(body.place, MAX_PLACE, true) || !isText(body.text, MAX_TEXT, true)) return null;
  const moments = body.moments.map((m) =>
    m && isHex(m.id, 16) && isLocalTime(m.start) && Number.isInteger(m.minutes) && m.minutes >= 5 && m.minutes <= 480
      ? { id: m.id, start: m.start, minutes: m.minutes }
      : null,
  );
  if (moments.includes(null) || new Set(moments.map((m) => m.id)).size !== moments.length) return null;
  return { id: body.proposal_id, way: body.way, moments, place: body.place ?? '', text: body.text ?? '' };
}

/** A choice or a confirmation: the proposal, the moment (or null) and a text. */
function readAnswer(body) {
  if (!isHex(body.proposal_id, 32) || !(body.moment_id === null || isHex(body.moment_id, 16))) return null;
  if (!isText(body.text, MAX_TEXT, true)) return null;
  return { proposalId: body.proposal_id, momentId: body.moment_id, text: body.text ?? '' };
}

/**
 * A report's `meeting_request` in one line ("telefonisch, via een
 * videogesprek — dinsdag na vier uur — 06 …"), or null when there is none
 * (or it is malformed).
 */
export function requestSummary(data, value) {
  const request = value === undefined || value === null ? null : readRequest(value);
  if (!request) return null;
  const ways = request.ways.map((w) => text(data, `meeting-way-${w}`)).join(', ');
  return [ways, request.times, request.contact].filter(Boolean).join(' — ');
}

/** "di 5 januari 2027 14:00, 60 min, telefonisch", in the page's language. */
export function formatMoment(data, moment, way) {
  const [day, time] = moment.start.split('T');
  const [year, month, date] = day.split('-').map(Number);
  const weekdays = text(data, 'meeting-weekdays').split(/\s+/);
  // getUTCDay: 0 is Sunday; the list starts on Monday.
  const weekday = weekdays[(new Date(Date.UTC(year, month - 1, date)).getUTCDay() + 6) % 7];
  return text(data, 'meeting-moment', {
    weekday,
    day: formatDay(data, day),
    time,
    minutes: moment.minutes,
    way: text(data, `meeting-way-${way}`),
  });
}

// ---- The request fields (the report form and the mailbox share them) ----

/** The ways (checkboxes), the times and the contact field, with ids starting `prefix`. */
function requestFields(data, prefix) {
  const ways = el('fieldset', 'field');
  ways.id = `${prefix}-ways`;
  ways.setAttribute('aria-describedby', `error-${prefix}-ways`);
  ways.append(el('legend', null, text(data, 'meeting-form-ways')));
  for (const way of WAYS) {
    const choice = el('div', 'choice');
    const box = el('input');
    box.type = 'checkbox';
    box.id = `${prefix}-way-${way}`;
    box.name = `${prefix}-way`;
    box.value = way;
    const label = el('label', null, text(data, `meeting-way-${way}`));
    label.htmlFor = box.id;
    choice.append(box, label);
    ways.append(choice);
  }
  const waysError = el('p', 'field-error');
  waysError.id = `error-${prefix}-ways`;
  waysError.hidden = true;
  ways.append(waysError);
  const times = el('textarea');
  times.rows = 3;
  times.maxLength = MAX_TIMES;
  const contact = el('input');
  contact.type = 'text';
  contact.maxLength = MAX_CONTACT;
  contact.autocomplete = 'tel';
  return [
    ways,
    labelled(`${prefix}-times`, text(data, 'meeting-form-times'), times, text(data, 'meeting-form-times-help')),
    labelled(`${prefix}-contact`, text(data, 'meeting-form-contact'), contact, text(data, 'meeting-form-contact-help')),
  ];
}

/**
 * The request the fields with ids starting `prefix` hold, checked: its
 * `value` (null when there are problems) and the problems, each as the
 * report form's error summary lists them.
 */
function readRequestFields(data, prefix) {
  const problems = [];
  const ways = WAYS.filter((way) => document.getElementById(`${prefix}-way-${way}`).checked);
  const problem = (id, focus, message) => {
    fieldError(id, message);
    const label = id.endsWith('-ways')
      ? document.querySelector(`#${id} legend`).textContent
      : document.querySelector(`label[for="${id}"]`).textContent;
    problems.push({ id, focus, label, message });
  };
  if (ways.length === 0) problem(`${prefix}-ways`, `${prefix}-way-${WAYS[0]}`, text(data, 'meeting-error-ways'));
  else fieldError(`${prefix}-ways`, null);
  const value = { ways, times: '', contact: '' };
  for (const [field, max] of [['times', MAX_TIMES], ['contact', MAX_CONTACT]]) {
    const id = `${prefix}-${field}`;
    value[field] = document.getElementById(id).value.trim();
    if (characters(value[field]) > max) problem(id, id, text(data, 'meeting-error-too-long', { max }));
    else fieldError(id, null);
  }
  return { problems, value: problems.length ? null : value };
}

function clearRequestFields(prefix) {
  for (const way of WAYS) document.getElementById(`${prefix}-way-${way}`).checked = false;
  document.getElementById(`${prefix}-times`).value = '';
  document.getElementById(`${prefix}-contact`).value = '';
}

// ---- The report form ----

const REPORT_PREFIX = 'meeting';

/**
 * Adds the optional "would you rather talk?" section to the report form,
 * after `after` (the questions): a checkbox that shows the request fields.
 */
export function addReportSection(data, after) {
  const section = el('section', 'form-section');
  section.id = 'meeting-section';
  section.setAttribute('aria-labelledby', 'meeting-title');
  const title = el('h2', null, text(data, 'meeting-form-title'));
  title.id = 'meeting-title';
  const help = el('p', 'help', text(data, 'meeting-form-help'));
  help.id = 'help-meeting-wanted';
  const wanted = el('div', 'choice');
  const box = el('input');
  box.type = 'checkbox';
  box.id = 'meeting-wanted';
  box.setAttribute('aria-describedby', help.id);
  box.setAttribute('aria-controls', 'meeting-details');
  box.setAttribute('aria-expanded', 'false');
  const label = el('label', null, text(data, 'meeting-form-wanted'));
  label.htmlFor = box.id;
  wanted.append(box, label);
  const details = el('div', 'meeting-details');
  details.id = 'meeting-details';
  details.hidden = true;
  details.append(...requestFields(data, REPORT_PREFIX));
  box.addEventListener('change', () => {
    details.hidden = !box.checked;
    box.setAttribute('aria-expanded', String(box.checked));
  });
  section.append(title, help, wanted, details);
  after.after(section);
}

/** The report's `meeting_request` (null when not asked) and the problems, checked. */
export function readReportRequest(data) {
  if (!document.getElementById('meeting-wanted')?.checked) return { problems: [], value: null };
  return readRequestFields(data, REPORT_PREFIX);
}

// ---- The mailbox ----

const ASK_PREFIX = 'meeting-ask';

/**
 * The mailbox's "ask for a meeting" form, added once after
 * `context.after` (see `meetingThread`).
 */
function addAskSection(data, context) {
  if (document.getElementById('meeting-ask-section')) return;
  const section = el('section', 'form-section');
  section.id = 'meeting-ask-section';
  section.setAttribute('aria-labelledby', 'meeting-ask-title');
  const title = el('h2', null, text(data, 'meeting-ask-title'));
  title.id = 'meeting-ask-title';
  const form = el('form');
  form.id = 'meeting-ask-form';
  form.noValidate = true;
  const actions = el('div', 'actions');
  const button = el('button', 'button', text(data, 'meeting-ask-send'));
  button.type = 'submit';
  button.id = 'meeting-ask-send';
  actions.append(button);
  const status = el('p');
  status.id = 'meeting-ask-status';
  status.setAttribute('role', 'status');
  form.append(...requestFields(data, ASK_PREFIX), actions, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { problems, value } = readRequestFields(data, ASK_PREFIX);
    if (problems.length) {
      document.getElementById(problems[0].focus).focus();
      return;
    }
    button.disabled = true;
    try {
      announce(status, text(data, 'js-sending'));
      const content = { format: REQUEST_FORMAT, ways: value.ways, times: value.times };
      if (value.contact) content.contact = value.contact;
      await context.send(content);
      clearRequestFields(ASK_PREFIX);
      await context.refresh();
      announce(status, text(data, 'meeting-ask-sent'));
    } catch (error) {
      announce(status, context.describe(error));
    } finally {
      button.disabled = false;
    }
  });
  section.append(title, el('p', 'help', text(data, 'meeting-form-help')), form);
  context.after.after(section);
}

/** A warning in place of a meeting item: `textId` says why; nothing to choose. */
function warning(data, day, textId) {
  const entry = el('li', 'thread__item notice notice--warning');
  const line = el('p', null, `${formatDay(data, day)} · ${text(data, textId)}`);
  // The note role on the text, not the list item (which stays one).
  line.setAttribute('role', 'note');
  entry.append(line);
  return entry;
}

function meta(data, who, day) {
  return el('p', 'thread__meta', `${who} · ${formatDay(data, day)}`);
}

/** The request's times and contact, as lines of a definition list. */
function requestDetails(data, request) {
  const dl = el('dl', 'answers');
  for (const [label, value] of [['meeting-request-times', request.times], ['meeting-request-contact', request.contact]]) {
    if (!value) continue;
    const row = el('div');
    row.append(el('dt', null, text(data, label)), el('dd', 'thread__text', value));
    dl.append(row);
  }
  return dl;
}

/**
 * The meeting items of one showing of the thread. `take` is given every
 * message that opened, in thread order (after the mailbox's own sender
 * checks); it returns the entry to show for a meeting item, or null for
 * any other content. `finish` then adds the choice forms, the agreed
 * moment above the thread and the "ask for a meeting" form.
 *
 * `context`: `send(content)` (seal and post a message of this thread),
 * `refresh()` (show the thread again), `status` (the thread's status line),
 * `describe(error)` (an error's text), `after` (the section the ask form
 * follows) and `before` (what the agreed moment is shown above).
 */
export function meetingThread(data, context) {
  const proposals = new Map();
  /** The proposals in thread order, with their entries. */
  const shown = [];
  /** The reporter's choices per proposal id. */
  const chosen = new Map();
  let agreed = null;

  function take(body, { fromSelf, advisor, day }) {
    if (!FORMATS.includes(body.format)) return null;
    const fromAdvisor = Boolean(advisor) && !fromSelf;
    const ownFormat = body.format === REQUEST_FORMAT || body.format === CHOICE_FORMAT;
    // Only the reporter asks and chooses; only a believed advisor proposes
    // and confirms.
    if (ownFormat ? !fromSelf : !fromAdvisor) return warning(data, day, 'js-unverified');
    if (body.format === REQUEST_FORMAT) {
      const request = readRequest(body);
      if (!request) return warning(data, day, 'meeting-unreadable');
      const entry = el('li', 'thread__item thread__item--own thread__item--meeting');
      entry.append(meta(data, text(data, 'js-you'), day));
      const ways = request.ways.map((w) => text(data, `meeting-way-${w}`)).join(', ');
      entry.append(el('p', null, text(data, 'meeting-own-request', { ways })), requestDetails(data, request));
      return entry;
    }
    if (body.format === PROPOSAL_FORMAT) {
      const proposal = readProposal(body);
      // A proposal id is used once: a second one could change the moments
      // an earlier choice named.
      if (!proposal || proposals.has(proposal.id)) return warning(data, day, 'meeting-unreadable');
      proposals.set(proposal.id, proposal);
      const entry = el('li', 'thread__item thread__item--advisor thread__item--meeting');
      entry.id = `meeting-${proposal.id}`;
      entry.tabIndex = -1;
      entry.append(meta(data, advisor.name, day), el('h3', 'request__title', text(data, 'meeting-proposal-title')));
      entry.append(el('p', null, text(data, 'meeting-proposal-intro', { advisor: advisor.name, way: text(data, `meeting-way-${proposal.way}`) })));
      const list = el('ul', 'meeting__moments');
      for (const moment of proposal.moments) list.append(el('li', null, formatMoment(data, moment, proposal.way)));
      entry.append(list);
      if (proposal.place) entry.append(el('p', null, text(data, 'meeting-proposal-place')), el('p', 'thread__text', proposal.place));
      if (proposal.text) entry.append(el('p', 'thread__text', proposal.text));
      shown.push({ proposal, entry });
      return entry;
    }
    const answer = readAnswer(body);
    const proposal = answer && proposals.get(answer.proposalId);
    // Only about a proposal shown earlier in this thread, and one of its moments.
    const moment = proposal && answer.momentId !== null ? proposal.moments.find((m) => m.id === answer.momentId) : null;
    if (!proposal || (answer.momentId !== null && !moment)) return warning(data, day, 'meeting-unreadable');
    if (body.format === CHOICE_FORMAT) {
      chosen.set(proposal.id, answer);
      agreed = moment ? { proposal, moment, confirmed: false, cancelled: null } : null;
      const entry = el('li', 'thread__item thread__item--own thread__item--meeting');
      entry.append(meta(data, text(data, 'js-you'), day));
      entry.append(el('p', null, moment ? text(data, 'meeting-own-choice', { moment: formatMoment(data, moment, proposal.way) }) : text(data, 'meeting-own-none')));
      if (answer.text) entry.append(el('p', 'thread__text', answer.text));
      return entry;
    }
    // A confirmation: of the agreed moment, or a cancellation of it.
    if (agreed && agreed.proposal.id === proposal.id) {
      if (answer.momentId === null) agreed.cancelled = answer.text;
      else if (answer.momentId === agreed.moment.id) agreed.confirmed = true;
    }
    const entry = el('li', 'thread__item thread__item--advisor thread__item--meeting');
    entry.append(meta(data, advisor.name, day));
    entry.append(
      el(
        'p',
        null,
        moment
          ? text(data, 'meeting-confirmation', { advisor: advisor.name, moment: formatMoment(data, moment, proposal.way) })
          : text(data, 'meeting-cancellation', { advisor: advisor.name }),
      ),
    );
    if (answer.text) entry.append(el('p', 'thread__text', answer.text));
    return entry;
  }

  /** The radio group of a proposal's moments, "none suit", a note and "Choose". */
  function choiceForm(proposal) {
    const id = `meeting-${proposal.id}`;
    const form = el('form', 'request__form');
    form.noValidate = true;
    const group = el('fieldset');
    group.id = `${id}-moments`;
    group.setAttribute('aria-describedby', `error-${id}-moments`);
    group.append(el('legend', null, text(data, 'meeting-choose-legend')));
    const options = [...proposal.moments.map((m) => [m.id, formatMoment(data, m, proposal.way)]), ['none', text(data, 'meeting-none-suit')]];
    for (const [value, label] of options) {
      const choice = el('div', 'choice');
      const radio = el('input');
      radio.type = 'radio';
      radio.name = `${id}-moment`;
      radio.id = `${id}-${value}`;
      radio.value = value;
      const labelNode = el('label', null, label);
      labelNode.htmlFor = radio.id;
      choice.append(radio, labelNode);
      group.append(choice);
    }
    const groupError = el('p', 'field-error');
    groupError.id = `error-${id}-moments`;
    groupError.hidden = true;
    group.append(groupError);
    const note = el('textarea');
    note.rows = 3;
    note.maxLength = MAX_TEXT;
    const actions = el('div', 'actions');
    const button = el('button', 'button button--primary', text(data, 'meeting-choose'));
    button.type = 'submit';
    button.id = `${id}-choose`;
    actions.append(button);
    const status = el('p', 'request__status');
    status.setAttribute('role', 'status');
    form.append(group, labelled(`${id}-text`, text(data, 'meeting-choice-text'), note), actions, status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const picked = form.querySelector(`input[name="${id}-moment"]:checked`)?.value;
      const note = document.getElementById(`${id}-text`).value.trim();
      fieldError(`${id}-moments`, picked ? null : text(data, 'meeting-choose-missing'));
      fieldError(`${id}-text`, picked === 'none' && !note ? text(data, 'meeting-none-text-needed') : null);
      if (!picked) return document.getElementById(`${id}-${proposal.moments[0].id}`).focus();
      if (picked === 'none' && !note) return document.getElementById(`${id}-text`).focus();
      button.disabled = true;
      try {
        announce(status, text(data, 'js-sending'));
        const content = { format: CHOICE_FORMAT, proposal_id: proposal.id, moment_id: picked === 'none' ? null : picked };
        if (note) content.text = note;
        await context.send(content);
        await context.refresh();
        announce(context.status, text(data, 'meeting-choice-sent'));
        (document.getElementById('meeting-agreed') ?? document.getElementById(id))?.focus();
      } catch (error) {
        status.setAttribute('role', 'alert');
        announce(status, context.describe(error));
        button.disabled = false;
      }
    });
    return form;
  }

  /** The agreed moment above the thread (or nothing when there is none). */
  function showAgreed() {
    document.getElementById('meeting-agreed')?.remove();
    if (!agreed) return;
    const box = el('section', 'notice meeting-agreed');
    box.id = 'meeting-agreed';
    box.tabIndex = -1;
    box.setAttribute('aria-labelledby', 'meeting-agreed-title');
    const title = el('h2', null, text(data, 'meeting-agreed-title'));
    title.id = 'meeting-agreed-title';
    const moment = formatMoment(data, agreed.moment, agreed.proposal.way);
    box.append(title, el('p', 'meeting-agreed__moment', text(data, 'meeting-agreed', { moment })));
    if (agreed.proposal.place) box.append(el('p', null, text(data, 'meeting-agreed-place', { place: agreed.proposal.place })));
    if (agreed.cancelled !== null) {
      box.classList.add('notice--warning');
      box.append(el('p', null, text(data, 'meeting-agreed-cancelled')));
      if (agreed.cancelled) box.append(el('p', 'thread__text', agreed.cancelled));
    } else if (agreed.confirmed) {
      box.append(el('p', null, text(data, 'meeting-agreed-confirmed')));
    }
    context.before.before(box);
  }

  function finish() {
    // Only the newest proposal can be answered, and only once: after a
    // choice the advisor confirms, cancels or proposes again.
    shown.forEach(({ proposal, entry }, index) => {
      if (index < shown.length - 1) entry.append(el('p', 'help', text(data, 'meeting-replaced')));
      else if (!chosen.has(proposal.id)) entry.append(choiceForm(proposal));
    });
    showAgreed();
    addAskSection(data, context);
  }

  return { take, finish };
}
