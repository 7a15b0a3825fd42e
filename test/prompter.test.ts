// The interactive flow without a terminal: collect() driven through a scripted fake Prompter, plus
// the real @inquirer checkbox rendered (with @inquirer/testing) from the config that
// inquirerPrompter builds. Fast companions of test/interactive.test.ts.

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { checkbox as realCheckbox } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { collect, type Prompter } from '../src/collect.js';
import { INIT_ACTION_NAMES } from '../src/domain.js';
import { QUESTIONS, type Key } from '../src/questions.js';
import { defaultAnswers, emptyState, fakeFacts, renderNode } from './fixtures/unit-fakes.js';

// ---------------------------------------------------------------------------------------------
// a scripted Prompter

type Kind = 'input' | 'confirm' | 'select' | 'checkbox' | 'password' | 'note';

interface Call {
  kind: Kind;
  message: string;
  default?: unknown;
  /** checkbox: the values shown checked */
  checked?: string[];
  choices?: string[];
  validate?: (v: never) => true | string;
  lines?: string[];
  /** select: the choices shown disabled, with their reason */
  disabled?: Record<string, string>;
  /** what the prompt's own validation said to refused attempts (see Attempts) */
  refusals?: string[];
}

/**
 * Several answers typed into one prompt in turn, as a person would when the prompt refuses one: each
 * goes through the prompt's validate; a refused one stays on screen (its message recorded) and the
 * next is tried. The first accepted answer is the prompt's result.
 */
class Attempts {
  readonly answers: unknown[];
  constructor(...answers: unknown[]) {
    this.answers = answers;
  }
}

/** An answer for the first call whose message matches; `undefined` answers take the default. */
type Rule = [match: RegExp | Kind, answer: unknown];

class ScriptedPrompter implements Prompter {
  readonly calls: Call[] = [];
  /** `pickDisabled`: let a select return a disabled choice (a real prompt never does) */
  constructor(
    private readonly rules: Rule[] = [],
    private readonly limit = 60,
    private readonly pickDisabled = false,
  ) {}

  private next(call: Call): unknown {
    this.calls.push(call);
    if (this.calls.length > this.limit) throw new Error(`more than ${this.limit} prompts: the flow loops (last: ${call.message})`);
    if (call.kind === 'note') return undefined;
    const i = this.rules.findIndex(([m]) => (typeof m === 'string' ? m === call.kind : m.test(call.message)));
    if (i >= 0) {
      const [, scripted] = this.rules.splice(i, 1)[0]!;
      if (scripted !== undefined) {
        const tries = scripted instanceof Attempts ? scripted.answers : [scripted];
        call.refusals = [];
        for (const answer of tries) {
          if (call.disabled?.[answer as string] !== undefined && !this.pickDisabled) {
            throw new Error(`scripted answer ${JSON.stringify(answer)} for "${call.message}" is disabled: ${call.disabled[answer as string]}`);
          }
          // an answer the prompt's own validation refuses does not get past a real prompt
          const v = call.validate ? call.validate(answer as never) : true;
          if (v === true) return answer;
          call.refusals.push(v);
        }
        throw new Error(`every scripted answer for "${call.message}" fails validation: ${call.refusals.join(' | ')}`);
      }
    }
    if (call.kind === 'checkbox') return call.checked;
    if (call.kind === 'password') throw new Error(`no scripted answer for the hidden prompt "${call.message}"`);
    return call.default;
  }

  input(o: Parameters<Prompter['input']>[0]) {
    return Promise.resolve(this.next({ kind: 'input', message: o.message, default: o.default, validate: o.validate }) as string);
  }
  confirm(o: Parameters<Prompter['confirm']>[0]) {
    return Promise.resolve(this.next({ kind: 'confirm', message: o.message, default: o.default }) as boolean);
  }
  select(o: Parameters<Prompter['select']>[0]) {
    const disabled = Object.fromEntries(o.choices.filter((c) => c.disabled).map((c) => [c.value, c.disabled!]));
    return Promise.resolve(
      this.next({ kind: 'select', message: o.message, default: o.default, choices: o.choices.map((c) => c.value), disabled }) as string,
    );
  }
  checkbox(o: Parameters<Prompter['checkbox']>[0]) {
    return Promise.resolve(
      this.next({
        kind: 'checkbox',
        message: o.message,
        checked: o.choices.filter((c) => c.checked).map((c) => c.value),
        choices: o.choices.map((c) => c.value),
        validate: o.validate as (v: never) => true | string,
      }) as string[],
    );
  }
  password(o: Parameters<Prompter['password']>[0]) {
    return Promise.resolve(this.next({ kind: 'password', message: o.message, validate: o.validate }) as string);
  }
  note(lines: string[]) {
    this.next({ kind: 'note', message: lines.join(' '), lines });
  }

  asked(kind?: Kind): Call[] {
    return this.calls.filter((c) => c.kind !== 'note' && (!kind || c.kind === kind));
  }
  notes(): string {
    return this.calls
      .filter((c) => c.kind === 'note')
      .map((c) => c.message)
      .join('\n');
  }
}

const msg = (k: Key) => QUESTIONS.find((q) => q.key === k)!.message;
const re = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

function run(p: Prompter, facts = fakeFacts()) {
  return collect({ facts, state: emptyState(), flags: {}, env: {}, prompter: p });
}

// ---------------------------------------------------------------------------------------------

describe('collect() through a scripted Prompter', () => {
  test('Enter everywhere: the questions come in table order, secrets by "generate", every default taken', async () => {
    const p = new ScriptedPrompter();
    const c = await run(p);
    const asked = p.asked().map((x) => x.message);
    expect(asked).toEqual([
      msg('originalsPath'),
      msg('importPath'),
      msg('behindProxy'),
      msg('httpPort'),
      msg('siteUrl'),
      msg('transcoding'),
      msg('userMode'),
      msg('uid'),
      msg('gid'),
      msg('initActions'),
      msg('adminUser'),
      'Admin password',
      'MariaDB passwords (user photoprism and root)',
    ]);
    expect(c.answers).toMatchObject({
      ...defaultAnswers(),
      // http://localhost: PhotoPrism serves no TLS itself, so "https" is not preselected
      initActions: ['update'],
    });
    // the choice of how to set the MariaDB passwords says that "generate" makes both
    const dbHow = p.asked('select').find((x) => x.message.startsWith('MariaDB passwords'))!;
    expect(dbHow.choices).toEqual(['generate', 'enter']);
    expect(dbHow.default).toBe('generate');
    expect(c.secretSources).toEqual({ adminPassword: 'generated', databasePassword: 'generated', databaseRootPassword: 'generated' });
  });

  test('own passwords: typed twice each; the root password prompt refuses the database password and short ones', async () => {
    const p = new ScriptedPrompter([
      [/^Admin password$/, 'enter'],
      [re(msg('adminPassword')), 'admin-pass-1'],
      [/^Admin password again$/, 'admin-pass-1'],
      [/^MariaDB passwords \(user photoprism and root\)$/, 'enter'],
      [re(msg('databasePassword')), 'db-pass-123'],
      [/^Database password again$/, 'db-pass-123'],
      [re(msg('databaseRootPassword')), 'root-pass-1'],
      [/^Database root password again$/, 'root-pass-1'],
    ]);
    const rootPrompt = (c: Call) => c.kind === 'password' && c.message === msg('databaseRootPassword');
    const c = await run(p);
    expect(c.answers).toMatchObject({ adminPassword: 'admin-pass-1', databasePassword: 'db-pass-123', databaseRootPassword: 'root-pass-1' });
    const validate = p.calls.find(rootPrompt)!.validate!;
    // the prompt names the question ("Database root password"), not the answers-file key
    expect(validate('db-pass-123' as never)).toBe('Database root password must differ from the database password (databaseRootPassword, databasePassword)');
    expect(validate('short' as never)).toBe('Database root password must be 8-72 characters long (it has 5)');
  });

  test('UID of a regular account: the warning comes first, the confirm names the override, "no" asks the UID again', async () => {
    const p = new ScriptedPrompter([
      [re(msg('uid')), '1000'],
      [/Accept this risk/, false],
      [re(msg('uid')), '2001'],
    ]);
    const c = await run(p);
    expect(c.answers.uid).toBe(2001);
    expect(c.answers.allowUnsafe).toEqual([]);
    const i = p.calls.findIndex((x) => /Accept this risk/.test(x.message));
    // one note of two lines: the warning, then what accepting means
    expect(p.calls[i - 1]!.kind).toBe('note');
    expect(p.calls[i - 1]!.lines).toHaveLength(2);
    expect(p.calls[i - 1]!.lines![0]).toMatch(/^Warning: uid 1000 belongs to the regular host account "alice".*\.$/);
    expect(p.calls[i - 1]!.lines![1]).toMatch(/^If you accept: the container user shares its numeric id with a person on this host.*\.$/);
    expect(p.calls[i]!.message).toBe('Accept this risk ("host-account") and use it anyway?');
    expect(p.calls[i]!.default).toBe(false);
    expect(p.asked('input').filter((x) => x.message === msg('uid'))).toHaveLength(2);
  });

  test('an unsupported UID is refused by the prompt itself, with the allowed list', () => {
    const q = QUESTIONS.find((x) => x.key === 'uid')!;
    const r = q.parse('1500');
    expect(r).toEqual({ ok: false, message: 'uid 1500 is not supported by the PhotoPrism image; allowed: 0, 33, 50-99, 500-600, 900-1250, 2000-2100' });
  });

  test('render node in group 993: the GID hint explains it and the default becomes 993', async () => {
    const p = new ScriptedPrompter([[re(msg('transcoding')), 'vaapi']]);
    const c = await run(p, fakeFacts({ renderNodes: [renderNode(993)] }));
    const gidAsk = p.asked('input').find((x) => x.message === msg('gid'))!;
    expect(gidAsk.default).toBe('993');
    expect(p.notes()).toContain('/dev/dri/renderD128 belongs to group 993 (render on this host), mode 0660: the image supports GID 993');
    expect(c.answers.gid).toBe(993);
  });

  test('intel + ffmpeg: refused by the checkbox validation itself, naming the question; the ticks are fixed in the same prompt', async () => {
    const p = new ScriptedPrompter([
      [re(msg('transcoding')), 'intel'],
      // the user ticks "ffmpeg"; refused, they untick it and submit
      [re(msg('initActions')), new Attempts(['update', 'intel', 'ffmpeg'], ['update', 'intel'])],
    ]);
    const c = await run(p, fakeFacts({ renderNodes: [renderNode(993)] }));
    const boxes = p.asked('checkbox');
    // asked once: the refusal happened inside the prompt, so nothing the user ticked was reset
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.refusals).toEqual([
      'Init actions: "ffmpeg" installs a static FFmpeg build that cannot use hardware transcoding ("intel"); remove "ffmpeg" or choose transcoding "software"',
    ]);
    expect(boxes[0]!.checked).toEqual(['update', 'intel']);
    // no refusal note after the prompt
    expect(p.notes()).not.toContain('FFmpeg');
    expect(c.answers.initActions).toEqual(['update', 'intel']);
  });

  test('VA-API, Intel and Raspberry Pi without their device are disabled in the transcoding choice, with the reason', async () => {
    const p = new ScriptedPrompter([[re(msg('transcoding')), 'vaapi']]);
    await expect(run(p)).rejects.toThrow('is disabled: (no /dev/dri on this host)');
    const t = p.asked('select').find((x) => x.message === msg('transcoding'))!;
    expect(t.disabled).toEqual({
      intel: '(no /dev/dri on this host)',
      vaapi: '(no /dev/dri on this host)',
      raspberry: '(no /dev/video11 on this host)',
    });
    expect(t.default).toBe('software');
    // with the devices present, nothing is disabled
    const q = new ScriptedPrompter();
    await run(q, fakeFacts({ renderNodes: [renderNode(44)], video11: { path: '/dev/video11', uid: 0, gid: 44, mode: 0o660 } }));
    expect(q.asked('select').find((x) => x.message === msg('transcoding'))!.disabled).toEqual({});
  });

  test('a transcoding whose device is missing is refused at the transcoding question (asked again), never at the GID', async () => {
    // a prompter that returns a disabled choice anyway: the question's own check still refuses it
    const p = new ScriptedPrompter([[re(msg('transcoding')), 'vaapi']], 40, true);
    const c = await run(p);
    const asked = p.asked().map((x) => x.message);
    expect(asked.filter((m) => m === msg('transcoding'))).toHaveLength(2);
    expect(asked.filter((m) => m === msg('gid'))).toHaveLength(1);
    expect(p.notes()).toContain('Video transcoding "vaapi" needs /dev/dri render nodes, and this host has none');
    expect(c.answers.transcoding).toBe('software');
    expect(c.answers.gid).toBe(2000);
    expect(c.answers.allowUnsafe).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// the real checkbox, configured by inquirerPrompter

describe('inquirerPrompter: the init-actions checkbox as @inquirer renders it', () => {
  let captured: unknown;
  let capturedPassword: Record<string, unknown> | undefined;
  let prompter: Prompter;

  beforeAll(async () => {
    // replace only the prompt functions prompter.ts imports, to capture the config it builds
    jest.unstable_mockModule('@inquirer/prompts', () => ({
      checkbox: (config: unknown) => {
        captured = config;
        return Promise.resolve([]);
      },
      confirm: () => Promise.resolve(true),
      input: () => Promise.resolve(''),
      password: (config: Record<string, unknown>) => {
        capturedPassword = config;
        return Promise.resolve('');
      },
      select: () => Promise.resolve(''),
    }));
    const { inquirerPrompter } = await import('../src/prompter.js');
    prompter = inquirerPrompter(() => undefined);
  });
  afterAll(() => {
    jest.resetModules();
  });

  async function renderInitActions(checked: string[]) {
    const q = QUESTIONS.find((x) => x.key === 'initActions')!;
    const ctx = { answers: {}, facts: fakeFacts() };
    await prompter.checkbox({
      message: q.message,
      choices: q.choices!(ctx).map((c) => ({ ...c, checked: checked.includes(c.value) })),
      validate: () => true,
    });
    return render(realCheckbox, captured as Parameters<typeof realCheckbox>[0]);
  }

  test('the answered line lists the short names only', async () => {
    const { answer, events, getScreen } = await renderInitActions(['update', 'https', 'tensorflow']);
    events.keypress('enter');
    await expect(answer).resolves.toEqual(['update', 'https', 'tensorflow']);
    expect(getScreen()).toBe(`✔ ${msg('initActions')} update, https, tensorflow`);
  });

  test('UX: every choice line fits in 80 columns, and all 11 actions are visible at once', async () => {
    const { events, getScreen } = await renderInitActions(['update']);
    const lines = getScreen().split('\n');
    const choiceLines = lines.filter((l) => /[◉◯]/.test(l));
    expect(choiceLines).toHaveLength(INIT_ACTION_NAMES.length);
    expect(choiceLines).toHaveLength(11);
    const widest = Math.max(...choiceLines.map((l) => [...l].length));
    expect(widest).toBeLessThanOrEqual(80); // no wrapping on a classic 80x24 terminal
    for (const name of INIT_ACTION_NAMES) expect(choiceLines.some((l) => l.includes(` ${name} `))).toBe(true);
    expect((captured as { pageSize: number }).pageSize).toBe(11);
    events.keypress('enter');
  });

  test('password prompts mask with "*" and offer no toggle to show the password', async () => {
    await prompter.password({ message: 'Initial admin password', validate: () => true });
    expect(capturedPassword).toMatchObject({ message: 'Initial admin password', mask: '*', toggleMask: false });
  });
});
