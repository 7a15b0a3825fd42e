import { INIT_ACTION_NAMES } from '../../domain.js';
import type { Rule } from '../types.js';
import { at, envAt } from './util.js';

/** Newer PhotoPrism docs also list these (not yet in the image this tool was checked against). */
const ALSO_KNOWN = ['tensorflow-gpu', 'yt-dlp'];

function initWords(ctx: Parameters<Rule['check']>[0]) {
  const e = ctx.photoprism?.envMap.get('PHOTOPRISM_INIT');
  return { entry: e, words: (e?.value ?? '').split(/\s+/).filter(Boolean) };
}

/** PHOTOPRISM_INIT without "update". */
export const initWithoutUpdate: Rule = {
  id: 'init-without-update',
  severity: 'warning',
  title: 'PHOTOPRISM_INIT does not contain "update"',
  why: 'without it the container never installs security updates for the tools PhotoPrism runs (FFmpeg, ImageMagick, Darktable, libraries)',
  check(ctx) {
    const svc = ctx.photoprism;
    if (!svc) return [];
    const { entry, words } = initWords(ctx);
    if (words.includes('update')) return [];
    const line = [...new Set(['update', ...words.filter((w) => INIT_ACTION_NAMES.includes(w))])].join(' ');
    return [
      {
        ...(entry ? envAt(entry, svc) : at(ctx, svc, 'environment')),
        message: entry ? `PHOTOPRISM_INIT is "${words.join(' ')}" without "update"` : 'PHOTOPRISM_INIT is not set, so no security updates are installed when the container starts',
        fix: `PHOTOPRISM_INIT: "${line}"   (init answer: --init-actions ${line.replace(/ /g, ',')}); then docker compose up -d --force-recreate`,
      },
    ];
  },
};

/** Unknown PHOTOPRISM_INIT words. */
export const initUnknownAction: Rule = {
  id: 'init-unknown-action',
  severity: 'warning',
  title: 'PHOTOPRISM_INIT contains a word that is not an init action',
  why: 'each word is a make target in the image; an unknown one fails silently at start, so the action you wanted never runs',
  check(ctx) {
    const svc = ctx.photoprism;
    if (!svc) return [];
    const { entry, words } = initWords(ctx);
    if (!entry) return [];
    return words
      .filter((w) => !INIT_ACTION_NAMES.includes(w) && !ALSO_KNOWN.includes(w))
      .map((w) => ({
        ...envAt(entry, svc),
        message: `PHOTOPRISM_INIT contains "${w}", which is not an init action`,
        fix: `remove or correct "${w}"; known actions: ${INIT_ACTION_NAMES.join(', ')}`,
      }));
  },
};
