// The result, shown as the server says it: the triage's own name, advice and reasons, the causes, the
// programme with what the safety policy holds back, and the questions to ask next. No triage level
// or cause is named here: a level is styled by its position among the levels the rulesets declare.

import {practitionerBox, programmeBox, redFlagList, redFlagsOpen, words, wordsOf} from './programme.js';
import {verdictControls} from './verdict.js';

const SHOWN_NEXT = 5;  // the rest behind a disclosure: the list is long while little is known

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A disclosure that stays open across updates (found again by its key). */
function disclosure(key, title) {
  const details = el('details');
  details.dataset.key = key;
  details.append(el('summary', null, title));
  return details;
}

function section(title, id) {
  const box = el('section', 'result-part');
  box.setAttribute('aria-labelledby', id);
  const heading = el('h3', null, title);
  heading.id = id;
  box.append(heading);
  return box;
}

/** 0 (the least severe level) to 3 (the most severe), whatever the number of levels declared. */
export function severity(level, levels) {
  const rank = levels.indexOf(level);
  if (rank < 0 || levels.length < 2) return 'unknown';
  return String(Math.round((3 * rank) / (levels.length - 1)));
}

/** The triage box, and the bar that keeps its name in sight on a phone while the form is filled. */
export function renderTriage(box, bar, result, levels, marks = {}, focus = null) {
  const triage = result.triage;
  box.replaceChildren();
  box.dataset.severity = bar.dataset.severity = severity(triage.level, levels);
  // the level's sign, as on the handout; while red-flag questions are open, its unconfirmed sign (never a tick)
  const shown = marks[triage.level] || {};
  const unknown = redFlagsOpen(result);  // a red flag unanswered: the triage is not yet known
  const unconfirmed = unknown || (!Array.isArray(result.open_red_flags) && !triage.confirmed);
  const mark = (unconfirmed && shown.unconfirmed) || shown.mark || '';
  const declared = mark ? `${mark} ${triage.name}` : triage.name;
  // no red flag reached yet: not yet known; a rule already raised it: at least that level
  const title = unknown && !(triage.reasons || []).length ? 'Not yet known' : declared;
  bar.textContent = `Triage: ${title}`;
  bar.hidden = false;
  box.classList.toggle('is-unconfirmed', unconfirmed);
  box.classList.toggle('is-unknown', unknown);
  const name = el('p', 'triage-name', title);
  box.append(el('p', 'triage-label', 'Triage'), name);
  if (unknown) {
    box.append(el('p', 'triage-so-far', title === declared ? 'At least this: not yet known until the red flags are answered.'
                                                           : `So far: ${declared}`), redFlagList(result, focus));
  }
  box.append(el('p', 'triage-advice', triage.advice));
  if (triage.reasons && triage.reasons.length) {
    const list = el('ul', 'triage-reasons');
    for (const reason of triage.reasons) list.append(el('li', null, reason.because));
    box.append(el('p', 'triage-because', 'Because:'), list);
  }
  const open = result.open_safety_questions || [];
  if (!Array.isArray(result.open_red_flags) && !triage.confirmed && open.length) {
    box.append(el('p', 'triage-open', `Not confirmed: ${open.length} safety question${open.length > 1 ? 's are' : ' is'} still unanswered.`));
  }
}

function nextQuestions(result, form) {
  const questions = result.next_questions || [];
  const said = words(result).next_questions || [];
  const box = section('Ask next', 'next-title');
  if (!questions.length) {
    box.append(el('p', 'muted', 'Nothing left to ask that the rules use.'));
    return box;
  }
  const list = el('ol', 'next-questions');
  const more = el('ol', 'next-questions');
  more.start = SHOWN_NEXT + 1;
  questions.forEach((q, index) => {
    const item = el('li', q.kind === 'safety' ? 'next-safety' : null);
    const link = el('a', null, q.label || q.fact);
    link.href = `#q-${q.fact}`;
    link.dataset.fact = q.fact;
    link.addEventListener('click', event => {
      event.preventDefault();
      form.focus(q.fact);
    });
    item.append(link);
    if (q.kind === 'safety') item.append(' ', el('span', 'badge badge-flag', 'safety'));
    const why = (said[index] || {}).why;  // in words, naming causes and levels (never their ids)
    if (why) item.append(el('span', 'why', ` — ${why}`));
    (index < SHOWN_NEXT ? list : more).append(item);
  });
  box.append(list);
  if (more.children.length) {
    const details = disclosure('next-more', `${more.children.length} more`);
    details.append(more);
    box.append(details);
  }
  return box;
}

function causes(result) {
  const box = section('Likely causes', 'causes-title');
  if (!result.causes.length) {
    box.append(el('p', 'muted', 'No cause is likely yet from these answers.'));
    return box;
  }
  const list = el('ol', 'causes');
  const said = new Map((words(result).causes || []).map(c => [c.id, c]));
  for (const cause of result.causes) {
    const item = el('li');
    const head = el('p', 'cause-name', cause.name);
    const shown = said.get(cause.id);
    if (shown) head.append(el('span', 'confidence', ` ${shown.likelihood} (${shown.percent})`));
    item.append(head, el('p', 'cause-why', cause.why));
    const verdict = verdictControls(result, 'cause', cause.id, cause.name);
    if (verdict) item.append(verdict);
    if (cause.evidence && cause.evidence.length) {
      const details = disclosure(`evidence-${cause.id}`, 'Evidence');
      const evidence = el('ul');
      for (const e of cause.evidence) evidence.append(el('li', null, e.because));
      details.append(evidence);
      item.append(details);
    }
    list.append(item);
  }
  box.append(list);
  return box;
}

function programme(result) {
  const box = section(words(result).programme_heading || 'Programme', 'programme-title');
  for (const line of result.policy || []) {
    if (line.holds_programme) box.append(el('p', 'policy-hold', line.says));
  }
  if (result.recommendations.length) {
    const list = el('ul', 'programme');
    for (const rec of result.recommendations) {
      const item = el('li', rec.leads ? 'leads' : null);
      const head = el('p', 'rec-name', rec.name);
      const dose = wordsOf(result, rec.id).dose;  // the dose in words, as the handout says it
      if (dose) head.append(el('span', 'dose', ` (${dose})`));
      item.append(head);
      if (rec.instructions) item.append(el('p', 'rec-text', rec.instructions));
      const verdict = verdictControls(result, 'recommendation', rec.id, rec.name);
      if (verdict) item.append(verdict);
      list.append(item);
    }
    box.append(list);
  } else {
    box.append(el('p', 'muted', 'Nothing to recommend yet.'));
  }
  const others = (result.policy || []).filter(line => !line.holds_programme);
  if (others.length || result.withheld.length) {
    const details = disclosure('policy', `Safety policy (${others.length + result.withheld.length})`);
    const list = el('ul');
    for (const line of others) list.append(el('li', null, line.says));
    const reasons = new Map((words(result).withheld || []).map(w => [w.id, w.reason]));
    for (const held of result.withheld) list.append(el('li', null, `${held.name}: ${reasons.get(held.id) || ''}`));
    details.append(list);
    box.append(details);
  }
  if (result.avoid.length) {
    const avoid = el('div', 'avoid');
    avoid.append(el('h4', null, 'Avoid'));
    const list = el('ul');
    for (const item of result.avoid) list.append(el('li', null, item.name));
    avoid.append(list);
    box.append(avoid);
  }
  return box;
}

export function renderResult(body, result, form) {
  const open = new Set([...body.querySelectorAll('details[open]')].map(d => d.dataset.key));
  const kept = new Map([...body.querySelectorAll('input[data-swap-dose]')].map(i => [i.dataset.swapDose, i.value]));
  const parts = [nextQuestions(result, form), causes(result), programmeBox(result, section) || programme(result),
                 practitionerBox(result, section, kept), el('p', 'disclaimer', result.disclaimer)];
  body.replaceChildren(...parts.filter(Boolean));
  for (const details of body.querySelectorAll('details')) details.open = open.has(details.dataset.key);
}
