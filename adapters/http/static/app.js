// The practitioner's page: loads the Questionnaire, builds the form, evaluates the answers as they
// change (debounced), and makes the handout (PDF) and the FHIR record from the same answers.
import {Api, ApiError} from './api.js';
import {IntakeForm} from './form.js';
import {configureFigures, swapDoses} from './programme.js';
import {renderResult, renderTriage} from './result.js';
import {configureVerdicts, verdictControls} from './verdict.js';

const DEBOUNCE_MS = 300;
const settings = JSON.parse(document.getElementById('app').dataset.settings);
const $ = id => document.getElementById(id);

// ------------------------------------------------------------------ the key prompt

let pendingKey = null;

function askForKey(message) {
  // one prompt however many calls were refused at once
  if (pendingKey) return pendingKey;
  pendingKey = new Promise(resolve => {
    const prompt = $('key-prompt');
    const input = $('key-input');
    $('key-message').textContent = message;
    prompt.hidden = false;
    input.value = '';
    input.focus();
    $('key-form').addEventListener('submit', event => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      prompt.hidden = true;
      pendingKey = null;
      resolve(key);
    }, {once: true});
  });
  return pendingKey;
}

const api = new Api(settings.keyHeader, askForKey);
configureVerdicts(api, settings.verdicts);  // absent when the server keeps no record: no controls
configureFigures(settings.figures);

// ------------------------------------------------------------------ evaluating

const PAGE_LANG = document.documentElement.lang || 'en';
let form = null;
let latestFacts = {};
let sequence = 0;
let timer = null;

function describe(error) {
  if (!(error instanceof ApiError)) return 'The server could not be reached.';
  const fields = error.problem.errors ? Object.keys(error.problem.errors) : [];
  return fields.length ? `${error.message} (${fields.map(f => (form ? form.label(f) : f)).join('; ')})` : error.message;
}

async function evaluate(facts) {
  const mine = ++sequence;
  $('result-status').textContent = 'Updating…';
  try {
    // the result, and the result in words (its `view`): the page words nothing itself
    const result = await api.json(`${settings.evaluations}?view=${encodeURIComponent(PAGE_LANG)}`, facts);
    if (mine !== sequence) return;  // a later answer is already on its way
    renderTriage($('triage'), $('triage-bar'), result, settings.levels, settings.marks, fact => form.focus(fact));
    renderResult($('result-body'), result, form);
    const verdict = verdictControls(result, 'triage', result.triage.level, `Triage: ${result.triage.name}`,
                                   'Your view of the triage');
    $('triage-verdict').replaceChildren(...(verdict ? [verdict] : []));
    form.highlight((result.next_questions || []).map(q => q.fact));
    const count = Object.keys(facts).length;
    $('result-status').textContent = `${count} answer${count === 1 ? '' : 's'} evaluated.`;
  } catch (error) {
    if (mine === sequence) $('result-status').textContent = describe(error);
  }
}

function answersChanged(facts) {
  latestFacts = facts;
  clearTimeout(timer);
  timer = setTimeout(() => evaluate(facts), DEBOUNCE_MS);
}

// ------------------------------------------------------------------ the handout and the FHIR record

/** The report request: the answers, and who the handout is for when given (sent, never stored here). */
function reportBody() {
  const body = {facts: latestFacts, lang: $('handout-lang').value};
  const patient = $('patient-name').value.trim();
  const clinician = $('clinician').value.trim();
  if (patient) body.patient = {name: patient};
  if (clinician) body.clinician = clinician;
  const doses = swapDoses($('result-body'));  // alternatives swapped into the programme
  if (Object.keys(doses).length) body.doses = doses;
  return body;
}

async function report(format) {
  const url = `${settings.reports}?format=${encodeURIComponent(format)}`;
  return api.fetch(url, {body: reportBody(), accept: '*/*'});
}

async function printHandout() {
  $('action-status').textContent = 'Making the handout…';
  try {
    const blob = await (await report('pdf')).blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'hamstring-handout.pdf';
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    $('action-status').textContent = 'The handout (PDF) is downloaded.';
  } catch (error) {
    $('action-status').textContent = describe(error);
  }
}

async function copyFhir() {
  $('action-status').textContent = 'Making the FHIR record…';
  let text;
  try {
    text = await (await report('fhir')).text();
  } catch (error) {
    $('action-status').textContent = describe(error);
    return;
  }
  try {
    if (!navigator.clipboard || !navigator.clipboard.writeText) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    $('fhir-fallback').hidden = true;
    $('action-status').textContent = 'The FHIR bundle is copied to the clipboard.';
  } catch {
    const area = $('fhir-text');
    area.value = text;
    $('fhir-fallback').hidden = false;
    area.focus();
    area.select();
    $('action-status').textContent = 'The clipboard is not available: the FHIR bundle is shown below, selected.';
  }
}

// ------------------------------------------------------------------ start

async function start() {
  // the bar repeats the triage only while the triage box itself is out of sight
  new IntersectionObserver(([entry]) => $('triage-bar').classList.toggle('box-in-view', entry.isIntersecting))
    .observe($('triage'));
  $('print-handout').addEventListener('click', printHandout);
  $('copy-fhir').addEventListener('click', copyFhir);
  let questionnaire;
  try {
    questionnaire = await api.json(settings.questionnaire);
  } catch (error) {
    $('form-status').textContent = `The questions could not be loaded: ${describe(error)}`;
    return;
  }
  $('intake-title').textContent = questionnaire.title || 'Questions';
  $('form-status').textContent = '';
  $('form-status').hidden = true;
  form = new IntakeForm(questionnaire, $('intake'), answersChanged);
  $('print-handout').disabled = false;
  $('copy-fhir').disabled = false;
  document.body.dataset.ready = 'true';
  evaluate(form.facts());
}

start();
