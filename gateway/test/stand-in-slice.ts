// A stand-in for a slice's GET /events (a loopback HTTP server, not a real slice): it counts the
// gateway's upstream connections and refuses the resume ids it is told to, so the relay's
// upstream sharing and its answer to a refused Last-Event-ID can be counted exactly. It also takes
// the gateway's team pushes (PUT /internal/team), keeping each, and answers them with teamStatus.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class StandInSlice {
  /** every GET /events, with the Last-Event-ID it carried ('' for none) */
  readonly requests: string[] = [];
  readonly open = new Set<http.ServerResponse>();
  maxOpen = 0;
  /** every PUT /internal/team, as received */
  readonly teamPuts: { authorization: string; body: unknown }[] = [];
  /** what PUT /internal/team answers (a slice's 204, or a failure to be retried) */
  teamStatus = 204;
  private readonly server: http.Server;

  /** refuse: the resume ids answered 410, as a slice would that no longer has them */
  constructor(private readonly refuse: (lastEventId: string) => boolean = () => false) {
    this.server = http.createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/internal/team') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          this.teamPuts.push({ authorization: String(req.headers.authorization ?? ''), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          res.writeHead(this.teamStatus).end();
        });
        return;
      }
      if (!req.url?.startsWith('/events')) {
        res.writeHead(404).end();
        return;
      }
      const lastEventId = String(req.headers['last-event-id'] ?? '');
      this.requests.push(lastEventId);
      if (lastEventId && this.refuse(lastEventId)) {
        res.writeHead(410, { 'content-type': 'application/json' }).end('{"error":{"code":"GONE"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 2000\n: connected\n\n');
      this.open.add(res);
      this.maxOpen = Math.max(this.maxOpen, this.open.size);
      res.on('close', () => this.open.delete(res));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  send(id: string, event: string, data: unknown): void {
    for (const res of this.open) res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
