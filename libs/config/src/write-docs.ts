import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc } from './config-docs';

const target = join(__dirname, '../../../docs/configuration.md');
writeFileSync(target, renderConfigurationDoc());
console.log(`wrote ${target}`);
