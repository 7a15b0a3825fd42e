import type { RawFinding, Rule } from '../types.js';

/** More than one compose file, or an override file. */
export const composeFileAmbiguous: Rule = {
  id: 'compose-file-ambiguous',
  severity: 'info',
  title: 'Several compose files exist: Compose uses the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml, and merges an override file',
  why: 'a file you edit may not be the one Compose runs, and an override file can undo the hardening audited here',
  check(ctx) {
    const out: RawFinding[] = [];
    for (const f of ctx.ignoredComposeFiles) {
      out.push({ file: f, message: `${f} is ignored: Compose uses ${ctx.compose.rel}`, fix: `merge what you need into ${ctx.compose.rel} and delete ${f}` });
    }
    for (const f of ctx.overrideFiles) {
      out.push({ file: f, message: `${f} is merged into ${ctx.compose.rel} by Compose and was not audited`, fix: `review ${f}, or fold it into ${ctx.compose.rel} and delete it` });
    }
    return out;
  },
};

/** env_file that does not exist. */
export const envFileMissing: Rule = {
  id: 'env-file-missing',
  severity: 'warning',
  title: 'An env_file does not exist or cannot be read',
  why: 'Compose refuses to start the service, and the variables in it could not be audited',
  check(ctx) {
    return ctx.missingEnvFiles.map((m) => ({
      file: m.file,
      line: m.line,
      service: m.service,
      message: `an env_file of service "${m.service}" cannot be read`,
      fix: 'create the file or remove it from env_file (or mark it required: false)',
    }));
  },
};
