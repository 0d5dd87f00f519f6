// Part of `npm run build`: the live page's static files (src/exposition/live/assets/) and the
// bundled uPlot go next to the compiled server module, so dist/src is everything that runs
// (the Docker image copies only dist/src and the production node_modules).
import { cpSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const target = `${root}dist/src/exposition/live/assets/`;
mkdirSync(target, { recursive: true });
cpSync(`${root}src/exposition/live/assets/`, target, { recursive: true });
const require = createRequire(import.meta.url);
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) cpSync(require.resolve(`uplot/dist/${name}`), `${target}${name}`);
