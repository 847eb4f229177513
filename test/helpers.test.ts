import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countExceptions, counter, gauge, histogram, renderRegistry, summary, timed, trackInProgress } from 'promhttp';
import { find, parseExposition, sum, type Sample } from './support/scrape.js';

async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parseExposition(await renderRegistry(registry, 'text'));
}

/**
 * The gauge's value at this instant. promhttp's renderer reads its own metrics before its first
 * await, so a render started inside a synchronous function sees the values of that moment.
 */
function valueNow(registry: Registry, name: string): Promise<number> {
  return renderRegistry(registry, 'text').then((text) => sum(parseExposition(text), name));
}

class Resizer {
  constructor(private readonly factor: number) {}
  scale(value: number): number {
    return value * this.factor;
  }
}

describe('timed()', () => {
  it('observes each call of a synchronous function and keeps its arguments, this and result', async () => {
    const registry = new Registry();
    const duration = histogram({ name: 'resize_duration_seconds', help: 'Resizes.', registry });
    const resizer = new Resizer(3);
    const scale = timed(duration, resizer.scale);
    expect(scale.call(resizer, 2)).toBe(6);
    expect(scale.call(resizer, 5)).toBe(15);
    const samples = await samplesOf(registry);
    expect(sum(samples, 'resize_duration_seconds_count')).toBe(2);
    expect(sum(samples, 'resize_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
  });

  it('observes an async function when its promise settles, not when it returns', async () => {
    const registry = new Registry();
    const duration = summary({ name: 'fetch_duration_seconds', help: 'Fetches.', registry });
    let release!: (value: string) => void;
    const fetchOne = timed(duration, (id: number) => new Promise<string>((resolve) => (release = (v) => resolve(`${v}${id}`))));
    const pending = fetchOne(7);
    expect(sum(await samplesOf(registry), 'fetch_duration_seconds_count')).toBe(0);
    release('user-');
    expect(await pending).toBe('user-7');
    expect(sum(await samplesOf(registry), 'fetch_duration_seconds_count')).toBe(1);
  });

  it('observes calls that throw or reject and passes the very same error on', async () => {
    const registry = new Registry();
    const duration = histogram({ name: 'parse_duration_seconds', help: 'Parses.', labelNames: ['kind'], registry });
    const syncError = new SyntaxError('bad');
    const asyncError = new RangeError('worse');
    const parseSync = timed(duration.labels('sync'), () => {
      throw syncError;
    });
    const parseAsync = timed(duration.labels('async'), async () => {
      throw asyncError;
    });
    expect(parseSync).toThrow(syncError);
    await expect(parseAsync()).rejects.toBe(asyncError);
    const samples = await samplesOf(registry);
    expect(sum(samples, 'parse_duration_seconds_count', { kind: 'sync' })).toBe(1);
    expect(sum(samples, 'parse_duration_seconds_count', { kind: 'async' })).toBe(1);
  });

  it('times a step with startTimer and records it under the labels given at the end', async () => {
    const registry = new Registry();
    const duration = histogram({ name: 'import_duration_seconds', help: 'Imports.', labelNames: ['outcome'], registry });
    const end = duration.startTimer();
    end({ outcome: 'ok' });
    expect(sum(await samplesOf(registry), 'import_duration_seconds_count', { outcome: 'ok' })).toBe(1);
  });
});

describe('countExceptions()', () => {
  it('counts calls that throw or reject, not those that succeed, and rethrows the same error', async () => {
    const registry = new Registry();
    const failures = counter({ name: 'send_failures_total', help: 'Failed sends.', registry });
    const boom = new Error('down');
    const send = countExceptions(failures, async (ok: boolean) => {
      if (!ok) throw boom;
      return 'sent';
    });
    const sendSync = countExceptions(failures, (ok: boolean) => {
      if (!ok) throw boom;
      return 'sent';
    });
    expect(await send(true)).toBe('sent');
    expect(sendSync(true)).toBe('sent');
    await expect(send(false)).rejects.toBe(boom);
    expect(() => sendSync(false)).toThrow(boom);
    expect(sum(await samplesOf(registry), 'send_failures_total')).toBe(2);
  });

  it('labels errors by name from a bounded set, anything else as other', async () => {
    const registry = new Registry();
    const errors = counter({ name: 'lookup_errors_total', help: 'Lookup errors.', labelNames: ['error'], registry });
    const lookup = countExceptions(
      errors,
      (what: unknown) => {
        throw what;
      },
      { label: 'error', names: ['TimeoutError', 'TypeError'] },
    );
    const timeout = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    for (const thrown of [timeout, new TypeError('x'), new RangeError('y'), 'a string', null, Object.assign(new Error('z'), { name: 'user-42' })]) {
      expect(() => lookup(thrown)).toThrow();
    }
    const samples = await samplesOf(registry);
    expect(find(samples, 'lookup_errors_total').map((s) => [s.labels.error, s.value])).toEqual([
      ['TimeoutError', 1],
      ['TypeError', 1],
      ['other', 4],
    ]);
  });

  it('counts only the errors the filter accepts, and survives a throwing filter', async () => {
    const registry = new Registry();
    const failures = counter({ name: 'db_failures_total', help: 'DB failures.', registry });
    const query = countExceptions(
      failures,
      (error: Error) => {
        throw error;
      },
      {
        filter: (error) => {
          if ((error as Error).message === 'weird') throw new Error('filter bug');
          return !(error instanceof TypeError);
        },
      },
    );
    expect(() => query(new TypeError('validation'))).toThrow('validation');
    expect(() => query(new Error('connection reset'))).toThrow('connection reset');
    expect(() => query(new Error('weird'))).toThrow('weird');
    expect(sum(await samplesOf(registry), 'db_failures_total')).toBe(1);
  });

  it('rejects a label the counter does not have, and names without a label', () => {
    const registry = new Registry();
    const plain = counter({ name: 'plain_total', help: 'Plain.', registry });
    const labelled = counter({ name: 'labelled_total', help: 'L.', labelNames: ['kind'], registry });
    const fn = (): void => {};
    expect(() => countExceptions(labelled, fn, { label: 'error', names: ['TypeError'] } as never)).toThrow(
      /^promhttp: countExceptions: with label "error", the counter must have labelNames: \["error"\] exactly/,
    );
    expect(() => countExceptions(labelled, fn, { label: 'kind' })).toThrow(/"names" must list the error names to keep/);
    expect(() => countExceptions(plain, fn, { names: ['TypeError'] } as never)).toThrow(/"names" needs "label"/);
    expect(() => countExceptions(plain, 'fn' as never)).toThrow(/the last argument must be the function to wrap/);
  });
});

describe('trackInProgress()', () => {
  it('counts a synchronous call as in progress while it runs, then 0 again', async () => {
    const registry = new Registry();
    const inProgress = gauge({ name: 'resizes_in_progress', help: 'Resizes running.', registry });
    let during!: Promise<number>;
    const resize = trackInProgress(inProgress, function (this: Resizer, value: number) {
      during = valueNow(registry, 'resizes_in_progress');
      return this.scale(value);
    });
    expect(resize.call(new Resizer(2), 4)).toBe(8);
    expect(await during).toBe(1);
    expect(await valueNow(registry, 'resizes_in_progress')).toBe(0);
  });

  it('counts an async call until its promise settles, then 0 again', async () => {
    const registry = new Registry();
    const inProgress = gauge({ name: 'uploads_in_progress', help: 'Uploads running.', registry });
    const releases: Array<() => void> = [];
    const upload = trackInProgress(inProgress, () => new Promise<void>((resolve) => releases.push(resolve)));
    const first = upload();
    const second = upload();
    expect(await valueNow(registry, 'uploads_in_progress')).toBe(2);
    releases[0]!();
    await first;
    expect(await valueNow(registry, 'uploads_in_progress')).toBe(1);
    releases[1]!();
    await second;
    expect(await valueNow(registry, 'uploads_in_progress')).toBe(0);
  });

  it('returns to 0 after calls that throw or reject', async () => {
    const registry = new Registry();
    const inProgress = gauge({ name: 'tasks_in_progress', help: 'Tasks running.', labelNames: ['task'], registry });
    const failSync = trackInProgress(inProgress.labels('sync'), () => {
      throw new Error('sync');
    });
    const failAsync = trackInProgress(inProgress.labels('async'), async () => {
      throw new Error('async');
    });
    expect(failSync).toThrow('sync');
    await expect(failAsync()).rejects.toThrow('async');
    const samples = await samplesOf(registry);
    expect(sum(samples, 'tasks_in_progress', { task: 'sync' })).toBe(0);
    expect(sum(samples, 'tasks_in_progress', { task: 'async' })).toBe(0);
  });

  it('composes with timed() and countExceptions() around one function', async () => {
    const registry = new Registry();
    const duration = histogram({ name: 'handle_duration_seconds', help: 'Handling.', registry });
    const failures = counter({ name: 'handle_failures_total', help: 'Failures.', registry });
    const inProgress = gauge({ name: 'handle_in_progress', help: 'Handling now.', registry });
    const handle = trackInProgress(inProgress, countExceptions(failures, timed(duration, async (n: number) => {
      if (n < 0) throw new RangeError('negative');
      return n;
    })));
    await handle(1);
    await expect(handle(-1)).rejects.toThrow(RangeError);
    const samples = await samplesOf(registry);
    expect(sum(samples, 'handle_duration_seconds_count')).toBe(2);
    expect(sum(samples, 'handle_failures_total')).toBe(1);
    expect(sum(samples, 'handle_in_progress')).toBe(0);
  });

  it('rejects a metric that cannot go up and down', () => {
    const registry = new Registry();
    const done = counter({ name: 'done_total', help: 'Done.', registry });
    expect(() => trackInProgress(done as never, () => {})).toThrow(/^promhttp: trackInProgress: the first argument must be a gauge/);
    expect(() => timed(done as never, () => {})).toThrow(/^promhttp: timed: the first argument must be a histogram or summary/);
  });
});
