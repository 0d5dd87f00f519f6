import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/config/schema.js';

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

  it('runs as a non-root user, exposes the default port and checks /healthz', () => {
    const runtime = stages[stages.length - 1] as string;
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${DEFAULT_PORT}$`, 'm'));
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(runtime).toMatch(/^VOLUME \["\/var\/log\/llm", "\/var\/lib\/llmtail"\]$/m);
    // Checkpoints on by default in the image, in a directory the unprivileged user owns.
    expect(runtime).toMatch(/LLMTAIL_STATE_DIR=\/var\/lib\/llmtail/);
    expect(runtime).toMatch(/chown node:node \/var\/lib\/llmtail/);
  });

  it('starts the built CLI, which exists after a build', () => {
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]');
    expect(() => readFileSync(new URL('../dist/src/cli/main.js', import.meta.url))).not.toThrow();
  });
});
