// The real prompts: @inquirer/prompts behind the Prompter interface (loaded only for interactive runs).

import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import type { Prompter } from './collect.js';
import { bulletLines, termWidth, wrapWords } from './text.js';

/** A validation message under a prompt, fitted to the terminal (inquirer would cut words at its edge). */
const fitted = (r: true | string): true | string => (r === true ? r : wrapWords(r, termWidth() - 2, '', '  ').join('\n'));

/** A prompt's message, wrapped so that it fits with its "? " and the default or answer after it. */
const msg = (m: string): string => wrapWords(m, termWidth() - 10, '', '  ').join('\n');

export function inquirerPrompter(out: (line: string) => void): Prompter {
  return {
    input: (o) => input({ message: msg(o.message), default: o.default, validate: (v) => fitted(o.validate(v)) }),
    confirm: (o) => confirm({ message: msg(o.message), default: o.default }),
    select: (o) =>
      select({
        message: msg(o.message),
        default: o.default,
        choices: o.choices.map((c) => ({ value: c.value, name: c.name, description: c.description, short: c.short, disabled: c.disabled ?? false })),
      }),
    checkbox: (o) =>
      checkbox({
        message: msg(o.message),
        choices: o.choices.map((c) => ({
          value: c.value,
          // the description wraps under itself ("❯◯ " and the name take 15 columns)
          name: wrapWords(c.description ?? '', termWidth() - 3, `${c.name.padEnd(11)} `, ' '.repeat(15)).join('\n'),
          short: c.value,
          checked: c.checked,
        })),
        pageSize: o.choices.length,
        validate: (v) => fitted(o.validate(v.map((x) => x.value))),
      }),
    // toggleMask off: a password is never shown on screen
    password: (o) => password({ message: msg(o.message), mask: '*', toggleMask: false, validate: (v) => fitted(o.validate(v)) }),
    // each note is one paragraph (a multi-line one keeps its commands whole), fitted to the terminal
    note: (lines) => {
      for (const l of lines) for (const w of bulletLines(l.split('\n'), '', termWidth())) out(w);
    },
  };
}

