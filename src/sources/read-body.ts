import type { Request } from 'express';

/**
 * Read a request body whole, but never more than `maxBytes` of it: `onBody` gets the chunks at the
 * end, or `onTooLarge` is called once, as soon as the limit is passed, and nothing read is kept.
 */
export function readBody(req: Request, maxBytes: number, onTooLarge: () => void, onBody: (chunks: Buffer[], size: number) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let rejected = false;
  req.on('data', (chunk: Buffer) => {
    if (rejected) return;
    size += chunk.length;
    if (size > maxBytes) {
      rejected = true;
      chunks.length = 0;
      onTooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!rejected) onBody(chunks, size);
  });
}
