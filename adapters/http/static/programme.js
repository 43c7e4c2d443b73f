// The result's selected programme and its open red flags, as the handout shows them (issue 19):
// the red flags as a short checklist ("If any of these is true, do not start"), the triage "not yet
// known" while any is open, the programme's phases with each exercise's dose, the everyday changes,
// its length and review, and, for the practitioner, the alternatives with a dose field to swap one in.
// Every field is read as the server sends it; a result without them is shown as before (result.js).
import {verdictControls} from './verdict.js';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function amount(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? `${value.low}–${value.high}` : String(value);
}

function often(f) {
  if (!f) return '';
  const per = f.per === 'day' ? 'a day' : 'a week';
  if (f.times === 1) return f.per === 'day' ? 'every day' : 'once a week';
  return f.times === 2 ? `twice ${per}` : `${f.times} times ${per}`;
}

/** A dose in words: '2 sets × 10 reps, each side, every day, 4 weeks'. */
export function doseText(dose) {
  if (!dose) return '';
  const each = [dose.reps !== undefined ? `${amount(dose.reps)} reps` : '',
                dose.hold_seconds !== undefined ? `hold ${amount(dose.hold_seconds)} s` : '',
                dose.duration_seconds !== undefined ? `${amount(dose.duration_seconds)} s` : ''].filter(Boolean);
  const parts = [];
  if (dose.sets !== undefined) parts.push(`${amount(dose.sets)} sets${each.length ? ' × ' + each.join(', ') : ''}`);
  else parts.push(...each);
  if (dose.per_side) parts.push('each side');
  if (dose.frequency) parts.push(often(dose.frequency));
  if (dose.weeks) parts.push(`${dose.weeks} weeks`);
  return parts.filter(Boolean).join(', ');
}

/** Whether the triage is not yet known: red flags are still open (readers need no other rule). */
export function redFlagsOpen(result) {
  return Array.isArray(result.open_red_flags) && result.open_red_flags.length > 0;
}

/** The red flags as a checklist; each question links to its field in the form. */
export function redFlagList(result, focus) {
  const box = el('div', 'red-flags');
  box.append(el('p', 'red-flags-head', result.programme_on_hold
    ? 'If any of these is true, it is more urgent still: ask these now.'
    : 'If any of these is true, do not start the programme: ask these first.'));
  const list = el('ul', 'red-flag-list');
  for (const q of result.open_red_flags) {
    const item = el('li');
    const link = el('a', null, q.question);
    link.href = `#q-${q.fact}`;
    link.dataset.fact = q.fact;
    if (focus) {
      link.addEventListener('click', event => {
        event.preventDefault();
        focus(q.fact);
      });
    }
    item.append(link);
    list.append(item);
  }
  box.append(list);
  return box;
}

let figuresUrl = null;

/** Where the exercises' pictures are (GET /app/figures/ID.svg); unset: no pictures. */
export function configureFigures(url) {
  figuresUrl = url || null;
}

/** An exercise's start and end position, named by its name (the server draws it); gone if it has none. */
function picture(rec) {
  if (!figuresUrl || !rec || rec.kind !== 'exercise') return null;
  const img = el('img', 'exercise-figure');
  img.src = `${figuresUrl}${encodeURIComponent(rec.id)}.svg`;
  img.alt = rec.name;
  img.addEventListener('error', () => img.remove());
  return img;
}

function chosenItem(result, item, rec) {
  const node = el('li', 'programme-item');
  node.dataset.id = item.id;
  const head = el('p', 'rec-name', rec ? rec.name : item.id);
  const dose = doseText(item.dose || (rec && rec.dose));
  if (dose) head.append(el('span', 'dose', ` — ${dose}`));
  node.append(head);
  const figure = picture(rec);
  if (figure) node.append(figure);
  if (item.starting_dose) node.append(el('p', 'starting', 'Starting dose: the practitioner may change it.'));
  const stop = rec && rec.stop_if && (rec.stop_if.text || rec.stop_if);
  if (typeof stop === 'string' && stop) node.append(el('p', 'rec-stop', `Stop if: ${stop.replace(/^Stop if /i, '')}`));
  const verdict = rec && verdictControls(result, 'recommendation', rec.id, rec.name);  // only what the result lists
  if (verdict) node.append(verdict);
  return node;
}

/** The programme part of the panel, or null when the result has no programme or it is on hold. */
export function programmeBox(result, section) {
  const p = result.programme;
  if (!p || p.on_hold || !((p.phases || []).length || (p.lifestyle || []).length)) return null;
  const recs = new Map(result.recommendations.map(r => [r.id, r]));
  const box = section('Programme', 'programme-title');
  const leads = result.recommendations.filter(r => r.leads);
  if (leads.length) {
    const first = el('ul', 'programme');
    for (const rec of leads) first.append(chosenItem(result, {id: rec.id, dose: rec.dose}, rec));
    box.append(el('h4', null, 'First'), first);
  }
  for (const phase of p.phases || []) {
    const list = el('ol', 'programme phase');
    for (const item of phase.items || []) list.append(chosenItem(result, item, recs.get(item.id)));
    box.append(el('h4', null, phase.name || phase.id), list);
  }
  if ((p.lifestyle || []).length) {
    const list = el('ul', 'programme lifestyle');
    for (const item of p.lifestyle) list.append(chosenItem(result, item, recs.get(item.id)));
    box.append(el('h4', null, 'Everyday changes'), list);
  }
  if (p.weeks) {
    const review = p.review_in_weeks || p.weeks;
    box.append(el('p', 'programme-length', `${p.weeks} weeks; review in ${review} week${review === 1 ? '' : 's'}.`));
  }
  return box;
}

// Why an alternative was not chosen: the selection's codes (decision_core.evaluation.prescription) and the built-in
// fit rules' (rulesets/programme.yaml); a plugin's own code is shown in words made from it.
const WHY = {
  same_job: 'same job as a chosen item',
  limit: "over the programme's limits",
  on_hold: 'no exercise while the programme is on hold',
  no_dose: 'no full dose',
  needs_start: 'nothing chosen to start with',
  not_in_programme: 'not listed in a programme',
  swapped_out: 'swapped out',
  fit_running: 'only for people who run',
  fit_sport: 'only for people who run, train or play a sport',
  fit_pain_free: 'only when pain-free',
  fit_red_flags_open: 'only once every safety question is answered',
  fit_weight_training: 'only for people used to weight training',
};

/** The practitioner's part: the alternatives, each with a dose field that swaps it into the handout,
 * and the open questions for the assessment. Kept values survive a re-render (by item id). */
export function practitionerBox(result, section, kept) {
  const p = result.programme;
  const alternatives = (p && !p.on_hold && p.alternatives) || [];
  const questions = result.open_assessment_questions || [];
  if (!alternatives.length && !questions.length) return null;
  const box = section('For the practitioner', 'practitioner-title');
  box.classList.add('practitioner');
  if (alternatives.length) {
    const recs = new Map(result.recommendations.map(r => [r.id, r]));
    box.append(el('h4', null, 'Alternatives'),
               el('p', 'muted', 'Allowed, not chosen. To swap one into the handout, give it a dose (e.g. 3x10@daily).'));
    const list = el('ul', 'alternatives');
    for (const alt of alternatives) {
      const rec = recs.get(alt.id);
      if (!rec) continue;
      const item = el('li');
      const label = el('label', null, rec.name);
      const input = el('input', 'swap-dose');
      input.type = 'text';
      input.id = `swap-${alt.id}`;
      label.htmlFor = input.id;
      input.dataset.swapDose = alt.id;
      input.placeholder = 'dose';
      input.autocomplete = 'off';
      input.value = kept.get(alt.id) || '';
      item.append(label, el('span', 'why', ` — ${WHY[alt.why] || alt.why.replace(/_/g, ' ')}`), input);
      list.append(item);
    }
    box.append(list);
  }
  if (questions.length) {
    box.append(el('h4', null, 'Questions for the assessment'));
    const list = el('ul', 'assessment');
    for (const q of questions) list.append(el('li', null, q.question));
    box.append(list);
  }
  return box;
}

/** The doses typed in to swap alternatives in: {id: '3x10@daily'} (empty fields left out). */
export function swapDoses(root = document) {
  const out = {};
  for (const input of root.querySelectorAll('input[data-swap-dose]')) {
    const value = input.value.trim();
    if (value) out[input.dataset.swapDose] = value;
  }
  return out;
}
