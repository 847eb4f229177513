// Generated HTTP/1.1 requests as bytes, from the plausible to what node's parser refuses, and a
// raw socket to send them on. Most are plausible: node's parser hands them to the app, odd as they
// are (any known method, targets of any visible ASCII, absolute-form, `*`, dot segments, bad
// percent-encoding, up to past node's 16 KiB head limit; header names of any token, values of
// any byte node takes). The rest are hostile: bytes node refuses anywhere in the head, bad
// framing, unknown versions; a hostile request ends its connection.
import fc from 'fast-check';
import { METHODS } from 'node:http';
import { connect } from 'node:net';

const TCHAR = [..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const token = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 });
/** Visible ASCII: what node takes in a request target. */
const urlByte = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
/** A byte as a latin1 character: visible ASCII and obs-text, the bytes a header value may hold. */
const textByte = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
/** Bytes no request line or header may hold. */
const forbidden = fc.constantFrom('\u0000', '\r', '\n', '\u007f', '\u0001', ' ', '\t');

const knownMethod = fc.constantFrom(...METHODS);
const oddMethod = fc.oneof(
  fc.constantFrom('get', 'Get', 'BREW', 'PRI', 'M-SEARCH', 'QUERY', 'GETT', 'GE'),
  token,
  fc.string({ unit: fc.oneof(textByte, forbidden), maxLength: 10 }),
);

const segment = fc.oneof(
  fc.constantFrom('', 'users', 'files', 'slow', 'boom', 'metrics', '42', '..', '.', '%2e%2e', '%2F', '%', '%zz', '%00', '%E0%A4%A', '%F0%9F%98%80', '*', ':id', 'a;b', '~', '@', 'é'),
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 }),
  fc.uuid(),
  fc.string({ unit: urlByte, maxLength: 12 }),
);
const path = fc.array(segment, { maxLength: 8 }).map((segments) => `/${segments.join('/')}`);
const query = fc.string({ unit: fc.oneof(urlByte, fc.constantFrom('?', '#', '&', '=', '%')), maxLength: 20 });

const target = fc.oneof(
  { weight: 4, arbitrary: path },
  { weight: 2, arbitrary: fc.tuple(path, fc.constantFrom('?', '#', '?#', '#?'), query).map(([p, mark, q]) => `${p}${mark}${q}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '*',
      '/metrics',
      '/metrics?x=1',
      '/metrics/',
      '//metrics',
      '/users/1',
      '/slow',
      '/users/1/',
      '/files/a/../b',
      '/files/%2e%2e/%2e%2e/metrics',
      'http://127.0.0.1/users/1',
      'http://127.0.0.1/metrics',
      'http://[::1',
      'https://x:99999/',
      'users/1',
      'metrics',
      '?',
      '#',
      '/?#',
      '/users/1#frag',
      '/users/1?a=1',
    ),
  },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  // Around node's 16 KiB limit on the head: some reach the app, some are refused with 431.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/files/', '/users/', '/'), fc.integer({ min: 200, max: 20_000 })).map(([p, n]) => `${p}${'1'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: urlByte, maxLength: 30 }) },
);
const oddTarget = fc.oneof(
  fc.string({ unit: fc.oneof(textByte, forbidden), maxLength: 30 }),
  fc.tuple(path, forbidden, path).map((parts) => parts.join('')),
  fc.constant(''),
);

const headerName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'Host',
      'Accept',
      'Accept-Encoding',
      'Authorization',
      'X-Prometheus-Scrape-Timeout-Seconds',
      'Content-Type',
      'Cookie',
      'X-Forwarded-For',
      'TE',
      'Upgrade',
      'Range',
    ),
  },
  { weight: 2, arbitrary: token },
);
/** Names node refuses, and the framing and expectation headers, whose odd values it refuses or answers itself. */
const oddHeaderName = fc.constantFrom('Bad Name', 'Bad:Name', '(x)', '', 'é', 'x\u0000', ' Host', 'Host ', 'Content-Length', 'Transfer-Encoding', 'Expect');
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.oneof(textByte, fc.constantFrom(' ', '\t')), maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '127.0.0.1',
      '',
      '[::1',
      'a b',
      'x:99999',
      'application/openmetrics-text; version=1.0.0',
      'application/openmetrics-text;q=abc, text/plain;q=',
      '*/*;q=0',
      'gzip;q=NaN',
      'gzip, deflate, br',
      'Bearer ',
      // The scrape token of every subject (test/props/subjects.ts), so that some scrapes are let in.
      'Bearer promhttp-props',
      'bearer promhttp-props',
      'Bearer \u00ff',
      'Basic %%%',
      'Basic Og==',
      '1e309',
      '-1',
      'NaN',
      '0',
      '0.001',
      'chunked',
      'gzip, chunked',
      '100-continue',
      'websocket',
      'bytes=0-1',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 17_000 }).map((n) => 'v'.repeat(n)) },
);
const oddHeaderValue = fc.tuple(fc.string({ unit: textByte, maxLength: 6 }), forbidden, fc.string({ unit: textByte, maxLength: 6 })).map((parts) => parts.join(''));

export interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
  /** Whether a Content-Length for `body` is added. */
  readonly sized: boolean;
}

const body = fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ unit: textByte, maxLength: 20 }) });

/** What node's parser hands to the app. */
const plausible: fc.Arbitrary<RawRequest> = fc.record({
  method: knownMethod,
  target,
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
  body,
  sized: fc.constant(true),
});

/** Plausible but for one part, which node may refuse. */
const hostile: fc.Arbitrary<RawRequest> = fc.oneof(
  fc.record({ method: oddMethod, target, version: fc.constant('HTTP/1.1'), headers: fc.constant([]), body: fc.constant(''), sized: fc.constant(false) }),
  fc.record({ method: knownMethod, target: oddTarget, version: fc.constant('HTTP/1.1'), headers: fc.constant([]), body: fc.constant(''), sized: fc.constant(false) }),
  fc.record({
    method: knownMethod,
    target,
    version: fc.constantFrom('HTTP/2.0', 'HTTP/1.2', 'HTTP/1', 'http/1.1', '', 'HTTP/0.9'),
    headers: fc.constant([]),
    body: fc.constant(''),
    sized: fc.constant(false),
  }),
  fc.record({
    method: knownMethod,
    target,
    version: fc.constant('HTTP/1.1'),
    headers: fc.array(fc.oneof(fc.tuple(oddHeaderName, headerValue), fc.tuple(headerName, oddHeaderValue)), { minLength: 1, maxLength: 3 }),
    body,
    sized: fc.boolean(),
  }),
);

export const rawRequest: fc.Arbitrary<RawRequest> = fc.oneof({ weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: hostile });

/** One connection: requests sent back to back, the last asking to close; `halfClose` ends the client's side once sent. */
export interface RawConnection {
  readonly requests: readonly RawRequest[];
  readonly halfClose: boolean;
}

export const rawConnection: fc.Arbitrary<RawConnection> = fc.record({
  requests: fc.array(rawRequest, { minLength: 1, maxLength: 3 }),
  halfClose: fc.boolean(),
});

/** The bytes of a connection's requests. A Host header is added unless one was generated. */
export function bytesOf(connection: RawConnection): Buffer {
  const text = connection.requests
    .map((r, i) => {
      const last = i === connection.requests.length - 1;
      const headers = [...r.headers];
      if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['Host', '127.0.0.1']);
      if (r.sized) headers.push(['Content-Length', String(Buffer.byteLength(r.body, 'latin1'))]);
      if (last) headers.push(['Connection', 'close']);
      return `${r.method} ${r.target} ${r.version}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${r.body}`;
    })
    .join('');
  return Buffer.from(text, 'latin1');
}

/** What came back on a connection: the bytes as latin1, and whether the client gave up waiting for the server to close. */
export interface Exchange {
  readonly text: string;
  readonly timedOut: boolean;
}

/** Sends `bytes` on a new connection and reads until the server closes it, or `timeoutMs` passes (then the client closes). */
export function exchange(port: number, bytes: Buffer, halfClose: boolean, timeoutMs = 1_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset is an answer too: the server refused the bytes.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut });
    });
    socket.write(bytes);
    if (halfClose) socket.end();
  });
}

/** The responses in what came back: status and header names, in order. */
export function responsesIn(text: string): Array<{ status: number; headers: string[] }> {
  const responses: Array<{ status: number; headers: string[] }> = [];
  for (const match of text.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)) {
    responses.push({ status: Number(match[1]), headers: match[2]!.split('\r\n').filter(Boolean).map((line) => line.slice(0, line.indexOf(':')).toLowerCase()) });
  }
  return responses;
}
