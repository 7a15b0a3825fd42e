// The audit reads compose files through the one compose model (src/compose/): its grammar helpers are
// re-exported here for the rules.

export * from '../compose/syntax.js';
