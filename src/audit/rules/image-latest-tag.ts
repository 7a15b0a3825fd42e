import { imageName } from '../compose.js';
import type { Rule } from '../types.js';
import { at, svcLabel } from './util.js';

/** image: without a tag, or :latest. */
export const imageLatestTag: Rule = {
  id: 'image-latest-tag',
  severity: 'warning',
  title: 'An image uses the latest tag (or no tag)',
  why: 'every pull may bring a different version with no record of what ran before, so an update cannot be reviewed or rolled back by name',
  check(ctx) {
    return ctx.services
      .filter((s) => typeof s.data.image === 'string')
      .flatMap((s) => {
        const img = imageName(String(s.data.image));
        if (img.digest || (img.tag !== null && img.tag !== 'latest')) return [];
        const example = s.kind === 'photoprism' ? 'photoprism/photoprism:YYMMDD (a release tag from Docker Hub)' : s.kind === 'mariadb' ? 'mariadb:11' : `${img.repo}:<version>`;
        return [
          {
            ...at(ctx, s, 'image'),
            message: `${svcLabel(s)} uses ${img.tag === null ? 'an image without a tag (= latest)' : 'the latest tag'}: ${String(s.data.image)}`,
            fix: `pin a version, e.g. image: ${example}, and raise it deliberately after reading the release notes${s.kind === 'photoprism' ? ' (PHOTOPRISM_INIT "update" still installs the OS security updates at every recreate)' : ''}`,
          },
        ];
      });
  },
};
