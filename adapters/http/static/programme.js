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

/** The result in words, as the server made it (the evaluation's ``view``): the page words nothing itself. */
export function words(result) {
  return result.view || {};
}

/** An item of the view by id (a recommendation, a programme item, an alternative). */
export function wordsOf(result, id) {
  const v = words(result);
  const p = v.programme || {};
  const all = [...(v.recommendations || []), ...(p.first || []), ...(p.phases || []).flatMap(ph => ph.items || []),
               ...(p.lifestyle || []), ...(p.alternatives || [])];
  return all.find(item => item.id === id) || {};
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
function picture(result, rec, name) {
  if (!figuresUrl || !rec || rec.kind !== 'exercise') return null;
  const img = el('img', 'exercise-figure');
  const lang = words(result).lang;  // titled in the page's language, as the alt text is
  img.src = `${figuresUrl}${encodeURIComponent(rec.id)}.svg${lang ? `?lang=${encodeURIComponent(lang)}` : ''}`;
  img.alt = name || rec.name;
  img.addEventListener('error', () => img.remove());
  return img;
}

function chosenItem(result, item, rec) {
  const node = el('li', 'programme-item');
  node.dataset.id = item.id;
  const said = wordsOf(result, item.id);
  const head = el('p', 'rec-name', said.name || (rec ? rec.name : ''));
  if (said.dose) head.append(el('span', 'dose', ` — ${said.dose}`));
  node.append(head);
  const figure = picture(result, rec, said.name);
  if (figure) node.append(figure);
  if (said.starting_dose && words(result).starting_note) node.append(el('p', 'starting', words(result).starting_note));
  if (said.stop_if) node.append(el('p', 'rec-stop', said.stop_if));
  const verdict = rec && verdictControls(result, 'recommendation', rec.id, rec.name);  // only what the result lists
  if (verdict) node.append(verdict);
  return node;
}

/** The programme part of the panel, or null when the result has no programme or it is on hold. */
export function programmeBox(result, section) {
  const p = result.programme;
  if (!p || p.on_hold || !((p.phases || []).length || (p.lifestyle || []).length)) return null;
  const recs = new Map(result.recommendations.map(r => [r.id, r]));
  const v = words(result);
  const box = section(v.programme_heading || 'Programme', 'programme-title');
  const leads = result.recommendations.filter(r => r.leads);
  if (leads.length) {
    const first = el('ul', 'programme');
    for (const rec of leads) first.append(chosenItem(result, {id: rec.id, dose: rec.dose}, rec));
    box.append(el('h4', null, 'First'), first);
  }
  for (const phase of p.phases || []) {
    const list = el('ol', 'programme phase');
    for (const item of phase.items || []) list.append(chosenItem(result, item, recs.get(item.id)));
    box.append(el('h4', null, phase.name), list);
  }
  if ((p.lifestyle || []).length) {
    const list = el('ul', 'programme lifestyle');
    for (const item of p.lifestyle) list.append(chosenItem(result, item, recs.get(item.id)));
    box.append(el('h4', null, v.everyday_heading || 'Also'), list);
  }
  const length = v.programme && v.programme.length;
  if (length) box.append(el('p', 'programme-length', length[0].toUpperCase() + length.slice(1) + '.'));
  return box;
}

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
      const said = wordsOf(result, alt.id);
      const label = el('label', null, said.name || rec.name);
      const input = el('input', 'swap-dose');
      input.type = 'text';
      input.id = `swap-${alt.id}`;
      label.htmlFor = input.id;
      input.dataset.swapDose = alt.id;
      input.placeholder = 'dose';
      input.autocomplete = 'off';
      input.value = kept.get(alt.id) || '';
      item.append(label, ...(said.why ? [el('span', 'why', ` — ${said.why}`)] : []), input);
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
