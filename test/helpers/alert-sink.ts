import { createServer, type Server } from 'node:http';

/** One alert as Alertmanager's v2 API receives it (the parts the tests read). */
export interface PostedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
}

/** A test Alertmanager on loopback: records every POST /api/v2/alerts body, answers 200. */
export interface AlertSink {
  /** Base URL for `alertmanager.url`. */
  url: string;
  /** Each post's alerts, in arrival order. */
  posts: PostedAlert[][];
  close(): void;
}

export async function startAlertSink(): Promise<AlertSink> {
  const posts: PostedAlert[][] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      if (req.url === '/api/v2/alerts') posts.push(JSON.parse(raw) as PostedAlert[]);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    posts,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
