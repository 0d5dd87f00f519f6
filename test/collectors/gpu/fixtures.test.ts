import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from './fake-smi.js';

const fake = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [fixture('fake-nvidia-smi.mjs'), ...args], { env: { ...env }, encoding: 'utf8' });

describe('nvidia-smi fixtures', () => {
  it('derived CSVs are exactly what the verbatim captures give', () => {
    // Throws (exit 1) and names the file when one drifted.
    execFileSync(process.execPath, [fixture('extract.mjs'), '--check'], { encoding: 'utf8' });
  });

  it('the fake projects requested columns by name, [N/A] for unknown ones, and honours nounits', () => {
    const env = { FAKE_SMI_FIXTURE: fixture('h100-load.csv') };
    const withUnits = fake(['--query-gpu=uuid,memory.used,utilization.gpu,no.such.field', '--format=csv'], env);
    expect(withUnits.stdout).toBe('uuid, memory.used [MiB], utilization.gpu [%], no.such.field\nGPU-00000000-0000-0000-0000-000000000000, 19818 MiB, 100 %, [N/A]\n');
    const noUnits = fake(['--query-gpu=memory.used,utilization.gpu', '--format=csv,nounits'], env);
    expect(noUnits.stdout).toBe('memory.used [MiB], utilization.gpu [%]\n19818, 100\n');
  });

  it('the fake exits with nvidia-smi messages and codes', () => {
    const r = fake(['--query-gpu=uuid', '--format=csv'], { FAKE_SMI_EXIT: '6' });
    expect([r.status, r.stdout]).toEqual([6, 'No devices were found\n']);
  });
});
