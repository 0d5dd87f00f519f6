import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, makeFakeSmi, type FakeSmi } from '../collectors/gpu/fake-smi.js';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { CHROMIUM } from '../setup/global-setup.js';

/**
 * The live page in a real browser: headless Debian Chromium (driven by playwright-core) against
 * `llmtail demo` started as a process, with a fake nvidia-smi on its PATH so the GPU charts have
 * data. Screenshots go to test-artifacts/ (dark and light).
 */

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHART_IDS = ['chart-requests', 'chart-errors', 'chart-tokens', 'chart-latency', 'chart-ttft', 'chart-lines', 'chart-gpu-memory', 'chart-gpu-util', 'chart-lag'];

let fake: FakeSmi;
let demo: RunningCli;
let profile: string;
let context: BrowserContext;
const requests: string[] = [];
const consoleErrors: string[] = [];
const pageErrors: string[] = [];
const failed: string[] = [];

beforeAll(async () => {
  fake = makeFakeSmi();
  demo = await startCli(['demo', '--rate', '30', '--burst-every', '8', '--web.listen-address', '127.0.0.1:0'], {
    env: { ...fake.env({ FAKE_SMI_FIXTURE: fixture('synthetic-8x-h100-load.csv') }), LLMTAIL_UI_RESOLUTION_SECONDS: '1', LLMTAIL_GPU_INTERVAL_MS: '500' },
  });
  profile = mkdtempSync(path.join(tmpdir(), 'llmtail-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
  });
  // Everything the browser asks for, from any page or worker of this profile.
  context.on('request', (r) => requests.push(r.url()));
  context.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  context.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.url()} HTTP ${r.status()}`);
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await demo?.stop();
  fake?.cleanup();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

async function open(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(demo.url('/'));
  return page;
}

/** data-points of every chart (the page sets it to the non-null values it drew). */
function points(page: Page): Promise<Record<string, number>> {
  return page.$$eval('.chart', (els) => Object.fromEntries(els.map((e) => [e.id, Number((e as HTMLElement).dataset.points ?? 0)])));
}

describe('the live page in Chromium', () => {
  it('draws every chart from the demo, lists incidents, and asks nothing of any other origin', async () => {
    // An error burst first, so the incidents list has something to show.
    await eventually(async () => {
      const r = (await (await fetch(demo.url('/api/incidents'))).json()) as { incidents: unknown[] };
      return r.incidents.length > 0 ? true : undefined;
    }, 45_000, 'a first incident');

    const page = await open();
    await page.waitForFunction(
      (ids) => ids.every((id) => Number(document.getElementById(id)?.dataset.points ?? 0) > 1),
      CHART_IDS,
      { timeout: 20_000 },
    );
    const drawn = await points(page);
    expect(Object.keys(drawn).sort()).toEqual([...CHART_IDS].sort());
    for (const id of CHART_IDS) expect(drawn[id], id).toBeGreaterThan(1);
    // uPlot drew canvases and a legend per chart; the GPU charts have one line per GPU of the fixture.
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(CHART_IDS.length);
    expect(await page.locator('#chart-gpu-util .u-legend .u-series').count()).toBe(1 + 8);
    expect(await page.locator('.notice:visible').count()).toBe(0);
    // Both GPU cards name the model of the fixture's eight identical GPUs.
    expect(await page.locator('[data-gpu-models]').allTextContents()).toEqual(['8 × NVIDIA H100 80GB HBM3', '8 × NVIDIA H100 80GB HBM3']);

    await page.waitForSelector('#incidents .incident', { timeout: 10_000 });
    const incident = page.locator('#incidents .incident').first();
    expect(await incident.locator('.incident-model').textContent()).toMatch(/\S/);
    expect(await incident.locator('.templates code').count()).toBeGreaterThan(0);
    expect(await page.locator('#tile-gpu [data-value]').textContent()).toBe('8 GPUs');
    expect(await page.locator('#tile-inputs [data-value]').textContent()).toBe('1 of 1 ready');

    // It refreshes itself: more points a couple of resolutions later, fetched incrementally.
    const before = (await points(page))['chart-lines'] as number;
    await page.waitForFunction((n) => Number(document.getElementById('chart-lines')?.dataset.points ?? 0) > n, before, { timeout: 10_000 });
    expect(requests.some((u) => u.includes('/api/series?since='))).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-page.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor !== 'rgb(15, 18, 24)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-light.png'), fullPage: true });
    expect(await page.locator('#chart-lines canvas').count()).toBeGreaterThan(0);
    await page.close();

    const origin = new URL(demo.url('/')).origin;
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('without GPU data, both GPU cards show the same notice instead of axes', async () => {
    const plain = await startCli(['demo', '--rate', '30', '--gpu', 'off', '--web.listen-address', '127.0.0.1:0'], { env: { LLMTAIL_UI_RESOLUTION_SECONDS: '1' } });
    try {
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(plain.url('/'));
      // Rendered at least twice: the GPU cards are drawn (or not) on every refresh.
      await page.waitForFunction(() => Number(document.getElementById('chart-lines')?.dataset.points ?? 0) > 1, undefined, { timeout: 20_000 });
      for (const id of ['chart-gpu-memory', 'chart-gpu-util']) {
        const card = page.locator(`article:has(#${id})`);
        expect(await card.locator('.notice').isVisible(), id).toBe(true);
        expect(await card.locator('.notice').textContent(), id).toBe('No GPU: nvidia-smi was not found on this host (or gpu.enabled is off).');
        expect(await page.locator(`#${id}`).isHidden(), id).toBe(true);
        expect(await page.locator(`#${id} canvas`).count(), id).toBe(0);
        expect(await card.locator('[data-gpu-models]').textContent(), id).toBe('');
      }
      expect(await page.locator('.notice:visible').count()).toBe(2);
      expect(await page.locator('#tile-gpu [data-value]').textContent()).toBe('off');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-no-gpu.png'), fullPage: true });
      await page.close();
      expect(pageErrors).toEqual([]);
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
