import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc } from './config-docs';
import { ENV_SCHEMA } from './env-schema';

const DOC = join(__dirname, '../../../docs/configuration.md');

describe('docs/configuration.md', () => {
  const committed = existsSync(DOC) ? readFileSync(DOC, 'utf8') : undefined;

  it('is what the schema renders', () => {
    if (committed !== renderConfigurationDoc()) {
      throw new Error(
        `docs/configuration.md ${committed === undefined ? 'is missing' : 'is out of date with libs/config/src/env-schema.ts'}: run \`npm run config:docs\` and commit the result.`,
      );
    }
  });

  it('has one row for every variable of the schema', () => {
    const rendered = renderConfigurationDoc();
    for (const spec of Object.values(ENV_SCHEMA)) {
      expect(rendered).toContain(`| \`${spec.name}\` |`);
      expect(committed ?? '').toContain(`| \`${spec.name}\` |`);
    }
    expect(rendered.split('\n').filter((line) => line.startsWith('| `'))).toHaveLength(Object.keys(ENV_SCHEMA).length);
  });

  it('marks required variables and never shows a secret example', () => {
    const rendered = renderConfigurationDoc();
    expect(rendered).toContain('| `HEDDLE_ENCRYPTION_KEY` | **required** |');
    expect(rendered).toContain('| `HEDDLE_BOOTSTRAP_TOKEN` | (unset) |');
    expect(rendered).toContain('| `HEDDLE_OUTBOUND_ALLOW` | (empty) |');
    expect(rendered).toContain('| `PORT` | `8080` |');
  });
});
