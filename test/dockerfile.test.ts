import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/config/schema.js';
import { dockerfileFacts, v8LimitsUnder } from './deploy/helpers.js';
import { runCli } from './helpers/cli.js';

// No Docker engine runs here, so the Dockerfile is checked for what it promises.
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);

describe('Dockerfile', () => {
  it('is multi-stage on Node 24, and the runtime stage has no dev dependencies or compiler', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^node:24[-\w.]*/);
    const runtime = stages[stages.length - 1] as string;
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('builds with the same build script as everywhere else, so the live page and its bundled uPlot are in the image', () => {
    const build = stages[0] as string;
    expect(build).toMatch(/^RUN npm run build && /m);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/copy-live-assets/);
    // The runtime stage copies dist/src whole: the assets land there.
    expect(stages[stages.length - 1]).toMatch(/^COPY --from=build \/app\/dist\/src \.\/dist\/src$/m);
  });

  it('runs as a non-root user, exposes the default port and checks /healthz', () => {
    const runtime = stages[stages.length - 1] as string;
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${DEFAULT_PORT}$`, 'm'));
    // The check is `llmtail healthcheck`, which follows the web config (TLS, auth), not a plain-HTTP fetch.
    expect(runtime).toMatch(/^HEALTHCHECK [^\n]*\\\n\s*CMD \["node", "dist\/src\/cli\/main\.js", "healthcheck"\]$/m);
    expect(runtime).not.toMatch(/fetch\('http:/);
    expect(runtime).toMatch(/^VOLUME \["\/var\/log\/llm", "\/var\/lib\/llmtail"\]$/m);
    // Checkpoints on by default in the image, in a directory the unprivileged user owns.
    expect(runtime).toMatch(/LLMTAIL_STATE_DIR=\/var\/lib\/llmtail/);
    expect(runtime).toMatch(/chown node:node [^\n]*\/var\/lib\/llmtail/);
    // An empty named volume on /var/log/llm takes this owner, so the compose simulator can write there.
    expect(runtime).toMatch(/chown node:node \/var\/log\/llm /);
  });

  it('caps V8\'s semi-space through NODE_OPTIONS in the runtime ENV, which Node 24 accepts there and honours', () => {
    // A soak's RSS stepped from ~105 to ~210 MiB as the young generation grew to its default maximum.
    // dockerfileFacts reads the ENV of the runtime stage only.
    const options = dockerfileFacts().env.get('NODE_OPTIONS') as string;
    expect(options).toBe('--max-semi-space-size=2');
    // Two semi-spaces of 2 MiB; without the option the same churn grows the young generation past that.
    expect(v8LimitsUnder(options).newSpaceMiB).toBeLessThanOrEqual(4);
    expect(v8LimitsUnder('').newSpaceMiB).toBeGreaterThan(4);
  });

  it('its HEALTHCHECK command is a real CLI command that fails (1, never Docker\'s reserved 2) when nothing answers', async () => {
    const res = await runCli(['healthcheck', '--web.listen-address', '127.0.0.1:1']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^unhealthy: http:\/\/127\.0\.0\.1:1\/healthz/);
    const bad = await runCli(['healthcheck', '--web.config.file', '/nonexistent/web.yml']);
    expect(bad.code).toBe(1);
  });

  it('starts the built CLI, which exists after a build', () => {
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]');
    expect(() => readFileSync(new URL('../dist/src/cli/main.js', import.meta.url))).not.toThrow();
  });
});
