// The intake form, built from the FHIR Questionnaire: a fieldset per group, a control per item.
// Nothing is answered until the user answers it: a yes/no question has a third choice, "unknown",
// chosen at the start, and an unanswered question is left out of the facts (never sent as "no").
// A screen (several yes/no questions in one: "Do you have any of these?") is a several-choice item whose
// options are coded as other questions of the form: a ticked option answers that question "yes", an
// exclusive option ("None of these") answers each listed one "no", and what is left unticked stays unknown.
const EXT = 'http://hl7.org/fhir/StructureDefinition/';
const RED_FLAG = 'urn:hamstring-decision-core:extension:red-flag';
const ITEM_CONTROL = EXT + 'questionnaire-itemControl';
const OPTION_EXCLUSIVE = EXT + 'questionnaire-optionExclusive';

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
    const exclusive = (item.answerOption || []).map(o => extensionValue(o, OPTION_EXCLUSIVE) === true);
    // a screen's help says what unticked means; other several-choice questions get the general hint
    if (!exclusive.some(Boolean)) wrapper.append(el('p', {className: 'hint', text: 'Tick all that apply; none ticked is unknown.'}));
    const box = el('div', {className: 'choices'});
    const controls = options.map((coding, i) => {
      const input = el('input', {type: 'checkbox', id: `f-${base}-${idFor(coding.code)}`, value: coding.code,
                                 'aria-describedby': help});
      box.append(el('label', {className: 'choice', for: input.id}, input, el('span', {text: coding.display || coding.code})));
      return input;
    });
    // an exclusive option ("None of these") and the others untick each other, as SDC optionExclusive says
    controls.forEach((input, i) => input.addEventListener('change', () => {
      if (!input.checked) return;
      controls.forEach((other, j) => { if (j !== i && (exclusive[i] || exclusive[j])) other.checked = false; });
    }));
    wrapper.append(box);
    const read = () => {
      const ticked = controls.filter(c => c.checked).map(c => c.value);
      return ticked.length ? {value: ticked} : null;
    };
    const question = new Question(item, wrapper, controls, read);
    question.options = options.map((coding, i) => ({coding, exclusive: exclusive[i], control: controls[i]}));
    return question;
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
    this.screens = this.findScreens();
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

  /** Several-choice questions whose options are other questions of the form (same code): linkId -> option. */
  findScreens() {
    const screens = new Map();
    for (const question of this.questions.values()) {
      const listed = new Map();
      for (const option of question.options || []) {
        const target = this.questions.get(option.coding.code);
        const code = target && (target.item.code || [])[0];
        if (target && target !== question && code && code.code === option.coding.code
            && (!option.coding.system || code.system === option.coding.system)) listed.set(option.coding.code, option);
      }
      if (listed.size) screens.set(question.linkId, listed);
    }
    return screens;
  }

  /** The screen that lists this question, while its own question is hidden (the screen was answered). */
  screenFor(linkId) {
    const own = this.questions.get(linkId);
    if (own && !own.wrapper.hidden) return null;
    for (const [screenId, listed] of this.screens) {
      if (listed.has(linkId) && !this.questions.get(screenId).wrapper.hidden) return {screenId, option: listed.get(linkId)};
    }
    return null;
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

  /** The facts to evaluate: the answered, enabled, valid questions only (invalid ones are marked). A screen
   * answers the questions it lists: ticked "yes", all "no" for an exclusive option, unticked unknown. */
  facts() {
    const facts = {};
    for (const [linkId, question] of this.questions) {
      if (question.wrapper.hidden) continue;
      const answer = question.read();
      this.showError(question, answer && answer.invalid);
      if (!answer || !('value' in answer)) continue;
      const listed = this.screens.get(linkId);
      if (!listed) {
        facts[linkId] = answer.value;
        continue;
      }
      const none = question.options.some(o => o.exclusive && o.control.checked);
      for (const [fact, option] of listed) {
        if (none) facts[fact] = false;
        else if (option.control.checked) facts[fact] = true;
      }
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
    const order = new Map();
    linkIds.forEach((id, i) => {
      // a question the answered screen stands for is marked on the screen (its first rank)
      const target = (this.screenFor(id) || {}).screenId || id;
      if (!order.has(target)) order.set(target, i + 1);
    });
    for (const [linkId, question] of this.questions) {
      const rank = order.get(linkId);
      question.wrapper.classList.toggle('is-next', rank !== undefined);
      const badge = question.wrapper.querySelector('.badge-next');
      if (badge) badge.textContent = rank ? `ask next (${rank})` : 'ask next';
    }
  }

  focus(linkId) {
    const onScreen = this.screenFor(linkId);
    if (onScreen) {  // its own question is hidden: the screen's box for it
      onScreen.option.control.scrollIntoView({block: 'center'});
      onScreen.option.control.focus({preventScroll: true});
      return;
    }
    const question = this.questions.get(linkId);
    if (question && !question.wrapper.hidden) question.focus();
  }

  label(linkId) {
    const question = this.questions.get(linkId);
    return question ? question.item.text : linkId;
  }
}
