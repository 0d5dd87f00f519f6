/** README sections between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` are written by `npm run docs`. */
export function replaceGenerated(text: string, name: string, body: string): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start === -1 || end === -1 || end < start) throw new Error(`README has no ${open} … ${close} block`);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

export function extractGenerated(text: string, name: string): string | undefined {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start === -1 || end === -1) return undefined;
  return text.slice(start + open.length + 1, end - 1);
}
