// The real prompts: @inquirer/prompts behind the Prompter interface (loaded only for interactive runs).

import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import type { Prompter } from './collect.js';

export function inquirerPrompter(out: (line: string) => void): Prompter {
  return {
    input: (o) => input({ message: o.message, default: o.default, validate: o.validate }),
    confirm: (o) => confirm({ message: o.message, default: o.default }),
    select: (o) =>
      select({
        message: o.message,
        default: o.default,
        choices: o.choices.map((c) => ({ value: c.value, name: c.name, description: c.description })),
      }),
    checkbox: (o) =>
      checkbox({
        message: o.message,
        choices: o.choices.map((c) => ({ value: c.value, name: `${c.name.padEnd(11)} ${c.description ?? ''}`, checked: c.checked })),
        validate: (v) => o.validate(v.map((x) => x.value)),
      }),
    password: (o) => password({ message: o.message, mask: '*', validate: o.validate }),
    note: (lines) => {
      for (const l of lines) out(`  ${l}`);
    },
  };
}
