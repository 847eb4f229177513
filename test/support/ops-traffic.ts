// Steady traffic for test/fixtures/ops-app.ts: every tick the same mix of requests, so that any
// window of a few seconds holds the same shares, and a log of when each request ended with which
// status, so that Prometheus' figures can be compared with what was sent.

/**
 * One tick's requests: 9 of them, one 500 and one 404 among them, one slow, and one from a tenant
 * never seen before, which the app's tenant counter soon records in its overflow series.
 */
const MIX = (tick: number): string[] => ['/', '/', `/users/${tick % 5}`, `/users/u${tick % 7}`, `/stock/${tick % 3}`, `/no/such/page/${tick % 4}`, '/error', '/slow?ms=150', `/tenants/t${tick}`];
const EXPECTED: Record<string, number> = { '/error': 500, '/no/': 404 };

export interface Ended {
  /** Date.now() when the response ended (or the client gave up). */
  readonly at: number;
  readonly status: number;
}

export interface Traffic {
  /** Requests that ended within (from, to], in Date.now() milliseconds. */
  between(from: number, to: number): { total: number; errors: number };
  readonly ended: readonly Ended[];
  /** Stops sending and waits for the requests under way. */
  stop(): Promise<void>;
}

export interface TrafficOptions {
  /** @default 100 */
  tickMs?: number;
  /** Every this many ticks, one request is abandoned by its client (recorded as 499). @default 10 */
  abortEvery?: number;
  /** Stops by itself after this long, whatever happens. @default 120_000 */
  maxMs?: number;
}

/** Sends the mix to `url` every tick until stopped; checks each status, so a broken app fails loudly. */
export function startTraffic(url: string, options: TrafficOptions = {}): Traffic {
  const tickMs = options.tickMs ?? 100;
  const abortEvery = options.abortEvery ?? 10;
  const ended: Ended[] = [];
  const pending = new Set<Promise<void>>();
  const problems: string[] = [];
  const started = Date.now();
  let tick = 0;

  const send = (path: string): void => {
    const expected = Object.entries(EXPECTED).find(([prefix]) => path.startsWith(prefix))?.[1] ?? 200;
    const request = fetch(`${url}${path}`)
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status !== expected) problems.push(`GET ${path} answered ${response.status}, expected ${expected}`);
        ended.push({ at: Date.now(), status: response.status });
      })
      .catch((error: Error) => void problems.push(`GET ${path}: ${error.message}`))
      .finally(() => pending.delete(request));
    pending.add(request);
  };
  const abandon = (): void => {
    const controller = new AbortController();
    const request = fetch(`${url}/slow?ms=2000`, { signal: controller.signal })
      .then((response) => void problems.push(`an abandoned request was answered ${response.status}`))
      .catch(() => void ended.push({ at: Date.now(), status: 499 }))
      .finally(() => pending.delete(request));
    pending.add(request);
    setTimeout(() => controller.abort(), 30);
  };

  // Scheduled from the start time, not from the last tick, so a slow tick does not lower the rate.
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (Date.now() - started > (options.maxMs ?? 120_000)) return;
    for (const path of MIX(tick)) send(path);
    if (tick % abortEvery === abortEvery - 1) abandon();
    tick++;
    timer = setTimeout(next, Math.max(0, started + tick * tickMs - Date.now()));
  };
  next();

  return {
    ended,
    between(from, to) {
      const window = ended.filter((e) => e.at > from && e.at <= to);
      return { total: window.length, errors: window.filter((e) => e.status >= 500).length };
    },
    async stop() {
      clearTimeout(timer);
      await Promise.all([...pending]);
      if (problems.length > 0) throw new Error(`traffic went wrong:\n${[...new Set(problems)].slice(0, 10).join('\n')}`);
    },
  };
}
