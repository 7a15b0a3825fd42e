import { truthy } from '../compose.js';
import type { Rule } from '../types.js';
import { at, svcLabel } from './util.js';

export const privileged: Rule = {
  id: 'privileged',
  severity: 'error',
  title: 'A service runs privileged',
  why: 'a privileged container has every capability and every host device: escaping it is trivial, and it is root on the host',
  kics: 'Privileged Containers Enabled',
  cis: '5.4',
  check(ctx) {
    return ctx.services
      .filter((s) => truthy(s.data.privileged))
      .map((s) => ({
        ...at(ctx, s, 'privileged'),
        message: `${svcLabel(s)} has privileged: true`,
        fix: 'delete privileged: true; for hardware transcoding pass only the device (devices: ["/dev/dri:/dev/dri"])',
      }));
  },
};
