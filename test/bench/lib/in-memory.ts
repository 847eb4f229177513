import type { Server } from 'node:http';
import { Duplex } from 'node:stream';

/**
 * One keep-alive connection to a real `http.Server`, carried in memory instead of over TCP: the
 * server's parser, request and response objects, 'finish' and 'close' events are all Node's own,
 * but no system call sits between client and server. On a shared machine the kernel's share of a
 * loopback request moves by several µs from one second to the next; without it the CPU a request
 * costs is steady enough to see a fraction of a µs.
 */
export class InMemoryConnection {
  private readonly client: Duplex;
  private answered = 0;
  private waitingFor = 0;
  private wake: (() => void) | undefined;
  private tail = '';

  constructor(server: Server) {
    const sides: Duplex[] = [];
    const side = (peer: number): Duplex =>
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, done) {
          sides[peer]!.push(chunk);
          done();
        },
      });
    sides.push(side(1), side(0));
    const serverSide = sides[1]!;
    this.client = sides[0]!;
    // What node:http asks of a net.Socket beyond the stream.
    Object.assign(serverSide, { remoteAddress: '127.0.0.1', remotePort: 40000, setTimeout: () => serverSide, setNoDelay: () => serverSide, setKeepAlive: () => serverSide });
    this.client.on('data', (chunk: Buffer) => this.count(chunk));
    server.emit('connection', serverSide);
  }

  /** Counts status lines; one may straddle two chunks. */
  private count(chunk: Buffer): void {
    const text = this.tail + chunk.toString('latin1');
    for (let at = text.indexOf('HTTP/1.1 '); at !== -1; at = text.indexOf('HTTP/1.1 ', at + 1)) this.answered++;
    // Shorter than the marker, so a status line is never counted twice.
    this.tail = text.slice(-8);
    if (this.answered >= this.waitingFor && this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
  }

  /** Sends `paths` as pipelined GETs in one write and resolves once every response has arrived. */
  send(paths: readonly string[]): Promise<void> {
    let text = '';
    for (const path of paths) text += `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    this.waitingFor = this.answered + paths.length;
    const done = new Promise<void>((resolve) => (this.wake = resolve));
    this.client.write(text);
    return done;
  }

  /** Responses received so far. */
  get responses(): number {
    return this.answered;
  }
}
