/**
 * The footprint run's log writer, its own process like an inference server: flat request lines
 * appended every 10 ms (rate / 100 lines per write, the lines due by the clock, so the rate holds
 * however the timer drifts) until SIGTERM; then it prints how many lines it wrote.
 *
 * argv: PATH RATE
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const [file, rateArg] = process.argv.slice(2);
const rate = Number(rateArg);
const fd = openSync(file as string, 'a');
const models = ['Qwen/Qwen2.5-7B-Instruct', 'Qwen/Qwen2.5-14B-Instruct', 'Qwen/Qwen2.5-72B-Instruct'];
const statuses = ['success', 'success', 'success', 'success', 'success', 'success', 'success', 'success', 'success', 'error'];
let written = 0;
const t0 = Date.now();

function line(i: number): string {
  return `{"timestamp":"${new Date().toISOString()}","request_id":"req-${i}","model":"${models[i % 3]}","input_tokens":${200 + (i % 700)},"output_tokens":${20 + (i % 300)},"total_time_ms":${150 + ((i * 37) % 4000)},"status":"${statuses[i % 10]}"}\n`;
}

const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - t0) * rate) / 1000);
  let batch = '';
  while (written < due) batch += line(written++);
  if (batch !== '') writeSync(fd, batch);
}, 10);

process.on('SIGTERM', () => {
  clearInterval(timer);
  closeSync(fd);
  process.stdout.write(`${written}\n`);
  process.exit(0);
});
