// The intake form, built from the FHIR Questionnaire: a fieldset per group, a control per item.
// Nothing is answered until the user answers it: a yes/no question has a third choice, "unknown",
// chosen at the start, and an unanswered question is left out of the facts (never sent as "no").
const EXT = 'http://hl7.org/fhir/StructureDefinition/';
const RED_FLAG = 'urn:hamstring-decision-core:extension:red-flag';
const ITEM_CONTROL = EXT + 'questionnaire-itemControl';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function extension(item, url) {
  return (item.extension || []).find(e => e.url === url);
}

function extensionValue(item, url) {
  const found = extension(item, url);
  if (!found) return undefined;
  const key = Object.keys(found).find(k => k.startsWith('value'));
  return found[key];
}

function isHelp(item) {
  const control = extensionValue(item, ITEM_CONTROL);
  return item.type === 'display' && !!control && (control.coding || []).some(c => c.code === 'help');
}

// "fact name" -> a safe id fragment (linkIds are plain words today; this keeps ids valid whatever they are)
function idFor(linkId) {
  return String(linkId).replace(/[^A-Za-z0-9_-]/g, '_');
}

class Question {
  constructor(item, wrapper, controls, read) {
    this.item = item;
    this.wrapper = wrapper;
    this.controls = controls;
    this.read = read;  // () -> {value} | {invalid: message} | null (unknown)
  }

  get linkId() { return this.item.linkId; }

  focus() {
    const target = this.controls.find(c => c.checked) || this.controls[0];
    this.wrapper.scrollIntoView({block: 'center'});
    target.focus({preventScroll: true});
  }
}

function helpParts(item) {
  const parts = [];
  for (const child of item.item || []) {
    if (child.type === 'display' && child.text) parts.push(child.text);
  }
  return parts;
}

function labelContent(item, forId) {
  const label = el(forId ? 'label' : 'legend', forId ? {for: forId} : {});
  label.append(el('span', {className: 'question-text', text: item.text || item.linkId}));
  if (extensionValue(item, RED_FLAG) === true) {
    label.append(' ', el('span', {className: 'badge badge-flag', text: 'warning sign'}));
  }
  label.append(' ', el('span', {className: 'badge badge-next', text: 'ask next'}));
  return label;
}

function describedBy(item, wrapper) {
  const texts = helpParts(item);
  if (!texts.length) return null;
  const id = `help-${idFor(item.linkId)}`;
  wrapper.append(el('p', {className: 'help', id, text: texts.join(' ')}));
  return id;
}

function rangeText(item) {
  const min = extensionValue(item, EXT + 'minValue');
  const max = extensionValue(item, EXT + 'maxValue');
  const unit = extensionValue(item, EXT + 'questionnaire-unit');
  const unitText = unit ? ` ${unit.display || unit.code}` : '';
  if (min !== undefined && max !== undefined) return `${min}–${max}${unitText}`;
  return unitText.trim();
}

function booleanQuestion(item, base) {
  const wrapper = el('fieldset', {className: 'question question-boolean', id: `q-${base}`});
  wrapper.append(labelContent(item));
  const help = describedBy(item, wrapper);
  const row = el('div', {className: 'choices choices-inline'});
  const controls = [['true', 'Yes'], ['false', 'No'], ['', 'Unknown']].map(([value, text]) => {
    const input = el('input', {type: 'radio', name: `f-${base}`, id: `f-${base}-${value || 'unknown'}`, value,
                               'aria-describedby': help, checked: value === ''});
    row.append(el('label', {className: 'choice', for: input.id}, input, el('span', {text})));
    return input;
  });
  wrapper.append(row);
  const read = () => {
    const chosen = controls.find(c => c.checked);
    return chosen && chosen.value ? {value: chosen.value === 'true'} : null;
  };
  return new Question(item, wrapper, controls, read);
}

function choiceQuestion(item, base) {
  const options = (item.answerOption || []).map(o => o.valueCoding || {code: o.valueString ?? String(o.valueInteger)});
  if (item.repeats) {
    const wrapper = el('fieldset', {className: 'question question-choices', id: `q-${base}`});
    wrapper.append(labelContent(item));
    const help = describedBy(item, wrapper);
    wrapper.append(el('p', {className: 'hint', text: 'Tick all that apply; none ticked is unknown.'}));
    const box = el('div', {className: 'choices'});
    const controls = options.map((coding, i) => {
      const input = el('input', {type: 'checkbox', id: `f-${base}-${i}`, value: coding.code, 'aria-describedby': help});
      box.append(el('label', {className: 'choice', for: input.id}, input, el('span', {text: coding.display || coding.code})));
      return input;
    });
    wrapper.append(box);
    const read = () => {
      const ticked = controls.filter(c => c.checked).map(c => c.value);
      return ticked.length ? {value: ticked} : null;
    };
    return new Question(item, wrapper, controls, read);
  }
  const wrapper = el('div', {className: 'question question-choice', id: `q-${base}`});
  const select = el('select', {id: `f-${base}`});
  wrapper.append(labelContent(item, select.id));
  const help = describedBy(item, wrapper);
  if (help) select.setAttribute('aria-describedby', help);
  select.append(el('option', {value: '', text: 'Unknown'}));
  for (const coding of options) select.append(el('option', {value: coding.code, text: coding.display || coding.code}));
  wrapper.append(select);
  return new Question(item, wrapper, [select], () => (select.value ? {value: select.value} : null));
}

function numberQuestion(item, base) {
  const integer = item.type === 'integer';
  const wrapper = el('div', {className: 'question question-number', id: `q-${base}`});
  const min = extensionValue(item, EXT + 'minValue');
  const max = extensionValue(item, EXT + 'maxValue');
  const input = el('input', {type: 'number', id: `f-${base}`, inputmode: integer ? 'numeric' : 'decimal',
                             step: integer ? '1' : 'any', min, max});
  wrapper.append(labelContent(item, input.id));
  const help = describedBy(item, wrapper);
  const range = rangeText(item);
  const rangeId = `range-${base}`;
  const error = el('p', {className: 'field-error', id: `error-${base}`, hidden: true});
  input.setAttribute('aria-describedby', [help, range ? rangeId : null, error.id].filter(Boolean).join(' '));
  wrapper.append(el('div', {className: 'number-row'}, input, range ? el('span', {className: 'unit', id: rangeId, text: range}) : null));
  wrapper.append(error);
  const read = () => {
    if (input.validity.badInput) return {invalid: 'Not a number.'};
    if (input.value.trim() === '') return null;
    const value = Number(input.value);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return {invalid: integer ? 'A whole number, please.' : 'Not a number.'};
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) return {invalid: `Out of range: ${range}.`};
    return {value};
  };
  return new Question(item, wrapper, [input], read);
}

function textQuestion(item, base) {
  const wrapper = el('div', {className: 'question question-text', id: `q-${base}`});
  const input = el('input', {type: 'text', id: `f-${base}`, autocomplete: 'off', maxlength: item.maxLength});
  wrapper.append(labelContent(item, input.id));
  const help = describedBy(item, wrapper);
  if (item.repeats) wrapper.append(el('p', {className: 'hint', id: `hint-${base}`, text: 'Separate them with commas.'}));
  input.setAttribute('aria-describedby', [help, item.repeats ? `hint-${base}` : null].filter(Boolean).join(' ') || '');
  wrapper.append(input);
  const read = () => {
    if (!item.repeats) return input.value.trim() ? {value: input.value.trim()} : null;
    const words = input.value.split(',').map(w => w.trim()).filter(Boolean);
    return words.length ? {value: words} : null;
  };
  return new Question(item, wrapper, [input], read);
}

const BUILDERS = {boolean: booleanQuestion, choice: choiceQuestion, 'open-choice': choiceQuestion,
                  integer: numberQuestion, decimal: numberQuestion, string: textQuestion, text: textQuestion};

// --------------------------------------------------------------------- enableWhen

function compare(actual, operator, expected) {
  const values = Array.isArray(actual) ? actual : [actual];
  switch (operator) {
    case '=': return values.some(v => v === expected);
    case '!=': return !values.some(v => v === expected);
    case '>': return values.some(v => v > expected);
    case '<': return values.some(v => v < expected);
    case '>=': return values.some(v => v >= expected);
    case '<=': return values.some(v => v <= expected);
    default: return false;
  }
}

function conditionHolds(condition, answers) {
  const has = Object.prototype.hasOwnProperty.call(answers, condition.question);
  if (condition.operator === 'exists') return has === condition.answerBoolean;
  if (!has) return condition.operator === '!=';  // SDC: "!=" holds when there is no answer
  const key = Object.keys(condition).find(k => k.startsWith('answer'));
  let expected = condition[key];
  if (key === 'answerCoding') expected = expected.code;
  return compare(answers[condition.question], condition.operator, expected);
}

// --------------------------------------------------------------------- the form

export class IntakeForm {
  constructor(questionnaire, form, onChange) {
    this.form = form;
    this.questions = new Map();
    for (const item of questionnaire.item || []) {
      if (item.type === 'group') {
        const fieldset = el('fieldset', {className: 'group', id: `g-${idFor(item.linkId)}`});
        fieldset.append(el('legend', {text: item.text || item.linkId}));
        for (const child of item.item || []) this.add(child, fieldset);
        form.append(fieldset);
      } else {
        this.add(item, form);
      }
    }
    form.addEventListener('input', () => this.changed(onChange));
    form.addEventListener('change', () => this.changed(onChange));
    form.addEventListener('submit', event => event.preventDefault());
    this.applyEnableWhen();
  }

  add(item, parent) {
    if (item.type === 'display') {
      if (!isHelp(item) && item.text) parent.append(el('p', {className: 'display', text: item.text}));
      return;
    }
    const build = BUILDERS[item.type];
    if (!build) return;
    const question = build(item, idFor(item.linkId));
    this.questions.set(item.linkId, question);
    parent.append(question.wrapper);
  }

  changed(onChange) {
    this.applyEnableWhen();
    onChange(this.facts());
  }

  answers() {
    const answers = {};
    for (const [linkId, question] of this.questions) {
      const answer = question.read();
      if (answer && 'value' in answer) answers[linkId] = answer.value;
    }
    return answers;
  }

  enabled(question, answers) {
    const conditions = question.item.enableWhen;
    if (!conditions || !conditions.length) return true;
    const results = conditions.map(c => conditionHolds(c, answers));
    return question.item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
  }

  applyEnableWhen() {
    const answers = this.answers();
    for (const question of this.questions.values()) question.wrapper.hidden = !this.enabled(question, answers);
  }

  /** The facts to evaluate: the answered, enabled, valid questions only (invalid ones are marked). */
  facts() {
    const answers = this.answers();
    const facts = {};
    for (const [linkId, question] of this.questions) {
      if (question.wrapper.hidden) continue;
      const answer = question.read();
      this.showError(question, answer && answer.invalid);
      if (answer && 'value' in answer) facts[linkId] = answer.value;
    }
    return facts;
  }

  showError(question, message) {
    const error = question.wrapper.querySelector('.field-error');
    for (const control of question.controls) control.toggleAttribute('aria-invalid', !!message);
    if (!error) return;
    error.textContent = message || '';
    error.hidden = !message;
  }

  /** Marks the questions the result asks next (in its order); the others lose the mark. */
  highlight(linkIds) {
    const order = new Map(linkIds.map((id, i) => [id, i + 1]));
    for (const [linkId, question] of this.questions) {
      const rank = order.get(linkId);
      question.wrapper.classList.toggle('is-next', rank !== undefined);
      const badge = question.wrapper.querySelector('.badge-next');
      if (badge) badge.textContent = rank ? `ask next (${rank})` : 'ask next';
    }
  }

  focus(linkId) {
    const question = this.questions.get(linkId);
    if (question && !question.wrapper.hidden) question.focus();
  }

  label(linkId) {
    const question = this.questions.get(linkId);
    return question ? question.item.text : linkId;
  }
}
