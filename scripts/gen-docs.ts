import { readFileSync, writeFileSync } from 'node:fs';
import { configReferenceMarkdown } from '../src/config/reference.js';
import { presetsReferenceMarkdown } from '../src/events/presets-reference.js';
import { metricsReferenceMarkdown } from '../src/exposition/reference.js';
import { replaceGenerated } from './generated-blocks.js';

/** Regenerates the README's reference tables from the code (`npm run docs`). */
const readmeUrl = new URL('../../README.md', import.meta.url);
let readme = readFileSync(readmeUrl, 'utf8');
readme = replaceGenerated(readme, 'config', configReferenceMarkdown());
readme = replaceGenerated(readme, 'metrics', await metricsReferenceMarkdown());
readme = replaceGenerated(readme, 'presets', presetsReferenceMarkdown());
writeFileSync(readmeUrl, readme);
process.stdout.write('README.md reference tables regenerated\n');
