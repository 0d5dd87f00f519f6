import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/** The files the live page is made of, by the name it is served under (/ui/NAME). */
export const ASSET_FILES = {
  'uPlot.iife.min.js': 'application/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
  'live.js': 'application/javascript; charset=utf-8',
  'live.css': 'text/css; charset=utf-8',
} as const;
export type AssetName = keyof typeof ASSET_FILES;
export const PAGE_FILE = 'index.html';
/** The bundled charting library, copied from the uplot package by `npm run build`. */
const VENDORED = new Set<string>(['uPlot.iife.min.js', 'uPlot.min.css']);

export interface Asset {
  body: Buffer;
  contentType: string;
  /** A hash of the contents: the page links `/ui/NAME?v=HASH`, so each asset can be cached for good. */
  version: string;
}

export interface LiveAssets {
  /** index.html with its asset links versioned. */
  page: Buffer;
  assets: ReadonlyMap<string, Asset>;
}

/** Where `npm run build` puts the page and uPlot: next to the compiled module. */
export const ASSET_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/**
 * Reads the page and its assets into memory once (about 60 kB), so serving them is a map lookup.
 * uPlot is looked up in the `uplot` package too when the build did not copy it (running from
 * source in tests). Throws, naming the file, when something is missing.
 */
export function loadLiveAssets(dir: string = ASSET_DIR): LiveAssets {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(ASSET_FILES)) {
    const body = readAsset(dir, name);
    assets.set(name, { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 16) });
  }
  const html = readFileSync(`${dir}${PAGE_FILE}`, 'utf8').replace(/\{\{asset:([\w.-]+)\}\}/g, (_m, name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) throw new Error(`${PAGE_FILE} links an unknown asset: ${name}`);
    return `/ui/${name}?v=${asset.version}`;
  });
  return { page: Buffer.from(html), assets };
}

function readAsset(dir: string, name: string): Buffer {
  try {
    return readFileSync(`${dir}${name}`);
  } catch (err) {
    if (!VENDORED.has(name)) throw err;
    return readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${name}`));
  }
}

/** The assets, or undefined with an error logged: a broken build loses the page, never the sidecar. */
export function tryLoadLiveAssets(log: Logger, dir: string = ASSET_DIR): LiveAssets | undefined {
  try {
    return loadLiveAssets(dir);
  } catch (err) {
    log.error({ err: { message: (err as Error).message } }, 'live page disabled: its files are missing (build with `npm run build`, which copies them to dist/)');
    return undefined;
  }
}
