import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Benchmark servers follow the examples' convention: PORT (0 picks one), loopback only, one line once ready. */
export const PORT = Number(process.env.PORT ?? 3000);
export const HOST = '127.0.0.1';

export function announce(port: number): void {
  console.log(`listening on http://${HOST}:${port}`);
}

export function listen(server: Server): void {
  server.listen(PORT, HOST, () => announce((server.address() as AddressInfo).port));
}
