import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Test prerequisites that are not npm packages: the built CLI (integration tests start it as a
 * process) and Debian's `prometheus` and `prometheus-alertmanager` packages (promtool, the
 * Prometheus server, Alertmanager, amtool). Installed here when missing and we are root (CI, a
 * fresh machine), so the README's one test command is enough.
 */
/** Where Debian's `chromium` package puts the browser (test/integration/live-page.test.ts). */
export const CHROMIUM = '/usr/bin/chromium';

export default function setup(): void {
  if (!existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run the tests with `npm test`, which builds first');
  }
  const missing = [
    ...(hasCommand('promtool') && hasCommand('prometheus') ? [] : ['prometheus']),
    ...(hasCommand('prometheus-alertmanager') && hasCommand('amtool') ? [] : ['prometheus-alertmanager']),
    // test/deploy validates deploy/compose with `docker-compose config` and renders deploy/kubernetes with
    // `kubectl kustomize`: real validators that need no Docker engine or cluster.
    ...(hasCommand('docker-compose') ? [] : ['docker-compose']),
    ...(hasCommand('kubectl') ? [] : ['kubernetes-client']),
    // The live page's browser test drives Debian's Chromium with playwright-core (never `playwright
    // install`); headless, it works without the packages Chromium only recommends.
    ...(existsSync(CHROMIUM) ? [] : ['chromium']),
  ];
  if (missing.length > 0) aptInstall(missing);
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function aptInstall(packages: string[]): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${packages.join(', ')}: install with apt-get (tests need promtool, prometheus, prometheus-alertmanager, amtool and chromium)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}
