import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** Shared by the deploy tests: the repository, its files as YAML, and the Dockerfile's promises. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const at = (...rel: string[]): string => path.join(ROOT, ...rel);

export function yamlAt<T>(...rel: string[]): T {
  return parse(readFileSync(at(...rel), 'utf8')) as T;
}

export function yamlDocs<T>(text: string): T[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('\n'));
    return d.toJS() as T;
  });
}

/**
 * A validator the tests need (installed by test/setup/global-setup.ts from Debian). Missing means
 * a failure, never a skip: CI must not go green without running it.
 */
export function requireTool(cmd: string, versionArgs: string[]): void {
  const r = spawnSync(cmd, versionArgs, { stdio: 'ignore' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`${cmd} is missing: test/setup/global-setup.ts installs it with apt-get (run the tests as root, or install it)`);
}

export function run(cmd: string, args: string[], cwd = ROOT): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What the runtime stage of the Dockerfile says about the image. */
export interface ImageFacts {
  user: string;
  exposed: number[];
  env: Map<string, string>;
  volumes: string[];
  entrypoint: string[];
  healthcheck: string[];
  defaultInputGlob: string;
}

export function dockerfileFacts(): ImageFacts {
  const text = readFileSync(at('Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const runtime = text.split(/^FROM /m).at(-1) as string;
  const line = (instr: string): string[] => [...runtime.matchAll(new RegExp(`^${instr} (.+)$`, 'gm'))].map((m) => m[1] as string);
  const env = new Map<string, string>();
  for (const e of line('ENV')) for (const m of e.matchAll(/(\w+)=(\S+)/g)) env.set(m[1] as string, m[2] as string);
  const cmd = JSON.parse(line('CMD').at(-1) as string) as string[];
  const health = /CMD (\[.+\])$/.exec(line('HEALTHCHECK').at(-1) as string);
  return {
    user: line('USER').at(-1) as string,
    exposed: line('EXPOSE').flatMap((e) => e.split(/\s+/).map(Number)),
    env,
    volumes: JSON.parse(line('VOLUME').at(-1) as string) as string[],
    entrypoint: JSON.parse(line('ENTRYPOINT').at(-1) as string) as string[],
    healthcheck: JSON.parse(health?.[1] ?? '[]') as string[],
    defaultInputGlob: cmd[cmd.indexOf('--input') + 1] as string,
  };
}

/** The `node` user of the official node images (Debian based) is uid and gid 1000. */
export const IMAGE_UID = 1000;

/** The port of a listen address such as ":9838". */
export const portOf = (listenAddress: string): number => Number(listenAddress.slice(listenAddress.lastIndexOf(':') + 1));

/** An image reference with an explicit, non-moving tag. */
export function isPinned(image: string): boolean {
  const m = /^([a-z0-9][a-z0-9._/-]*)(?::([\w][\w.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/.exec(image);
  if (m === null) return false;
  if (m[3] !== undefined) return true;
  return m[2] !== undefined && !/^(latest|main|master|nightly|edge|stable)$/.test(m[2]);
}

/** What V8 settles on under NODE_OPTIONS, in MiB, from this Node (the image's major): its heap limit and young generation after churn. */
export interface V8Limits {
  heapLimitMiB: number;
  newSpaceMiB: number;
}

export function v8LimitsUnder(nodeOptions: string): V8Limits {
  // Churn enough short-lived objects that an uncapped young generation grows past any cap worth testing.
  const script =
    'const v8=require("v8");let k=[];for(let i=0;i<3e6;i++){k.push({i});if(k.length>5e5)k=[];}' +
    'const n=v8.getHeapSpaceStatistics().find((s)=>s.space_name==="new_space");' +
    'console.log(JSON.stringify({heapLimitMiB:v8.getHeapStatistics().heap_size_limit/1048576,newSpaceMiB:(n?n.space_size:0)/1048576}))';
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as V8Limits;
}

/** A Kubernetes memory quantity (Mi, Gi) in MiB. */
export const quantityMiB = (q: string): number => (q.endsWith('Gi') ? 1024 * Number(q.slice(0, -2)) : Number(q.replace(/Mi$/, '')));
/** A Kubernetes CPU quantity (500m, 1) in millicores. */
export const quantityMilli = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : 1000 * Number(q));
