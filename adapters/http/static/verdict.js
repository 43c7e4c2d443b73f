// A clinician's agree / override beside the triage, each cause and each item of the programme, when the
// result was kept (it carries a record_id and the server keeps a record): each answer goes to
// POST /v1/records/{id}/feedback with the page's API key. An answer sent shows as sent and cannot be
// sent again for that record; an error is said in words. Names come from the result, reason labels
// from the server (the record's coded override reasons): no id is shown.
import {ApiError} from './api.js';

const RETRIES = 3;  // a record is written just after its answer: a 503 "not written yet" is tried again
let setup = null;  // {api, url, reasons} once configured
let counter = 0;
const sent = new Map();  // `${record}|${about}|${id}` -> what the page says was sent

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const wait = ms => new Promise(resolve => setTimeout(resolve, ms));

/** settings: the page's `verdicts` ({url, reasons: [{code, label, for}]}), absent when no record is kept. */
export function configureVerdicts(api, settings) {
  setup = settings && settings.url ? {api, url: settings.url, reasons: settings.reasons || []} : null;
}

function problem(error) {
  if (!(error instanceof ApiError)) return 'Not sent: the server could not be reached. Try again.';
  return `Not sent: ${error.message}`;
}

async function post(record, response) {
  const url = setup.url.replace('RECORD_ID', encodeURIComponent(record));
  for (let attempt = 1; ; attempt++) {
    try {
      return await setup.api.json(url, {responses: [response]});
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 503) || attempt >= RETRIES) throw error;
      await wait(1000 * attempt);
    }
  }
}

function showSent(key, words) {
  for (const group of document.querySelectorAll('.verdict')) {
    if (group.dataset.verdictKey !== key) continue;
    const note = el('p', 'verdict-sent', words);
    note.tabIndex = -1;
    group.replaceChildren(note);
  }
}

/** The controls for one item of a kept result, or null (no record, or the page keeps none). `lead`: words
 * shown before the buttons where the item itself is not beside them (the triage). */
export function verdictControls(result, about, id, name, lead = null) {
  if (!setup || !result.record_id || !id) return null;
  const key = `${result.record_id}|${about}|${id}`;
  const n = ++counter;
  const group = el('div', 'verdict');
  group.dataset.verdictKey = key;
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', `Your view: ${name}`);
  if (sent.has(key)) {
    group.append(el('p', 'verdict-sent', sent.get(key)));
    return group;
  }
  const buttons = el('div', 'verdict-buttons');
  if (lead) buttons.append(el('span', 'verdict-lead', `${lead}:`));
  const agree = el('button', 'verdict-agree', 'Agree');
  agree.type = 'button';
  agree.setAttribute('aria-label', `Agree: ${name}`);
  const override = el('button', 'verdict-override', 'Override…');
  override.type = 'button';
  override.setAttribute('aria-label', `Override: ${name}`);
  override.setAttribute('aria-expanded', 'false');
  buttons.append(agree, override);

  const form = el('form', 'verdict-form');
  form.id = `verdict-${n}`;
  form.hidden = true;
  form.noValidate = true;
  override.setAttribute('aria-controls', form.id);
  const reasonLabel = el('label', null, 'Reason');
  const reason = el('select', 'verdict-reason');
  reason.id = `verdict-${n}-reason`;
  reasonLabel.htmlFor = reason.id;
  reason.append(new Option('Choose a reason', ''));
  for (const r of setup.reasons) {
    if (!r.for || r.for.includes(about)) reason.append(new Option(r.label, r.code));
  }
  const commentLabel = el('label', null, 'Comment (optional)');
  const comment = el('input', 'verdict-comment');
  comment.type = 'text';
  comment.id = `verdict-${n}-comment`;
  comment.maxLength = 1000;
  comment.autocomplete = 'off';
  commentLabel.htmlFor = comment.id;
  const send = el('button', 'verdict-send', 'Send override');
  send.type = 'submit';
  const cancel = el('button', 'verdict-cancel', 'Cancel');
  cancel.type = 'button';
  const formButtons = el('div', 'verdict-buttons');
  formButtons.append(send, cancel);
  form.append(reasonLabel, reason, commentLabel, comment, formButtons);
  const status = el('p', 'verdict-status');
  status.setAttribute('role', 'status');
  group.append(buttons, form, status);

  const controls = [agree, override, reason, comment, send, cancel];
  const busy = on => {
    for (const c of controls) c.disabled = on;
    group.setAttribute('aria-busy', on ? 'true' : 'false');
  };
  const openForm = open => {
    form.hidden = !open;
    override.setAttribute('aria-expanded', String(open));
    if (open) reason.focus(); else override.focus();
  };

  async function submit(response, words) {
    if (sent.has(key) || group.getAttribute('aria-busy') === 'true') return;  // never sent twice
    busy(true);
    status.classList.remove('verdict-error');
    status.textContent = 'Sending…';
    try {
      await post(result.record_id, response);
      sent.set(key, words);
      showSent(key, words);
      const note = group.querySelector('.verdict-sent');
      if (note && group.isConnected) note.focus();
    } catch (error) {
      busy(false);
      status.classList.add('verdict-error');
      status.textContent = problem(error);
    }
  }

  const said = words => (lead ? `Sent, ${lead.toLowerCase()}: ${words}.` : `Sent: ${words}.`);
  agree.addEventListener('click', () => submit({about, id, verdict: 'agree'}, said('you agree')));
  override.addEventListener('click', () => openForm(form.hidden));
  cancel.addEventListener('click', () => openForm(false));
  form.addEventListener('keydown', event => {
    if (event.key === 'Escape') openForm(false);
  });
  reason.addEventListener('change', () => {
    reason.removeAttribute('aria-invalid');
    if (status.classList.contains('verdict-error')) status.textContent = '';
  });
  form.addEventListener('submit', event => {
    event.preventDefault();
    if (!reason.value) {
      reason.setAttribute('aria-invalid', 'true');
      status.classList.add('verdict-error');
      status.textContent = 'Choose a reason for the override.';
      reason.focus();
      return;
    }
    const response = {about, id, verdict: 'override', reason: reason.value};
    const text = comment.value.trim();
    if (text) response.comment = text;
    submit(response, said(`you override this (${reason.selectedOptions[0].textContent})`));
  });
  return group;
}
