import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

/** A CATP relay in front of the simulator that rewrites the records of its answers. Every participant of the
 *  simulator sees only records naming its own id, so a record naming a library of ours nobody mapped cannot come
 *  from the simulator itself: `rewrite` changes each record block of an answer (keep the length the same, so the
 *  CATP Content-Length stays right). */
export class CatpRelay {
  private server?: Server;
  url = '';
  constructor(
    private readonly target: string,
    private readonly rewrite: (block: string) => string,
  ) {}
  async open() {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }
  private async forward(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const answer = await fetch(`${this.target}${req.url}`, { method: req.method, headers: { 'content-type': 'text/plain' }, body: Buffer.concat(chunks) });
      const text = (await answer.text()).split('--NACSIS-CATP').map(this.rewrite).join('--NACSIS-CATP');
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
      res.end(text);
    } catch {
      res.writeHead(502).end();
    }
  }
  async close() {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}
