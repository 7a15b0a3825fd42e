// The real prompts: @inquirer/prompts behind the Prompter interface (loaded only for interactive runs).

import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import type { Prompter } from './collect.js';
import { wrap } from './text.js';

export function inquirerPrompter(out: (line: string) => void): Prompter {
  return {
    input: (o) => input({ message: o.message, default: o.default, validate: o.validate }),
    confirm: (o) => confirm({ message: o.message, default: o.default }),
    select: (o) =>
      select({
        message: o.message,
        default: o.default,
        choices: o.choices.map((c) => ({ value: c.value, name: c.name, description: c.description, short: c.short, disabled: c.disabled ?? false })),
      }),
    checkbox: (o) =>
      checkbox({
        message: o.message,
        choices: o.choices.map((c) => ({
          value: c.value,
          name: `${c.name.padEnd(11)} ${c.description ?? ''}`,
          short: c.value,
          checked: c.checked,
        })),
        pageSize: o.choices.length,
        validate: (v) => o.validate(v.map((x) => x.value)),
      }),
    // toggleMask off: a password is never shown on screen
    password: (o) => password({ message: o.message, mask: '*', toggleMask: false, validate: o.validate }),
    note: (lines) => {
      const width = Math.min(process.stdout.columns || 100, 100) - 4;
      for (const l of lines) for (const w of wrap(l, width)) out(`  ${w}`);
    },
  };
}

