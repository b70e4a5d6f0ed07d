import { connect, createServer, Server, Socket } from 'net';

/** A TCP relay to a server (Redis by default) that a test can cut and restore: "Redis is down" for
 *  the one service that connects through it, while every other test goes on using Redis. */
export class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target = { host: '127.0.0.1', port: 6379 },
  ) {}
  async open() {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
  }
  async cut() {
    await new Promise<void>((done) => {
      if (!this.server) return done();
      this.server.close(() => done());
      for (const s of this.sockets) s.destroy();
    });
  }
}
