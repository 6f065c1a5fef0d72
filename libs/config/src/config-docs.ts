import { ENV_SCHEMA } from './env-schema';

/** Renders docs/configuration.md from the schema (a test fails when the committed file differs). */
export function renderConfigurationDoc(): string {
  const rows = Object.values(ENV_SCHEMA).map((spec) => {
    const def =
      'default' in spec && spec.default !== undefined
        ? spec.default === ''
          ? '(empty)'
          : `\`${spec.default}\``
        : 'required' in spec && spec.required
          ? '**required**'
          : '(unset)';
    return `| \`${spec.name}\` | ${def} | ${spec.description.replace(/\|/g, '\\|')} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from libs/config/src/env-schema.ts by `npm run config:docs`; do not edit by hand. -->',
    '',
    'Heddle reads its configuration from environment variables only, and validates all of them once at start:',
    'a missing or malformed variable stops the process with one message that names every problem.',
    '`npm start`, `npm run start:api`, `npm run start:worker` and the scripts also read a local `.env` file',
    '(written by `npm run setup`); variables already set in the environment win over it.',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
