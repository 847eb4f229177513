import { createHash, timingSafeEqual } from 'node:crypto';
import { checkKeys, describeValue, optionError } from '../errors.js';

/** What an `auth` function is told about a scrape. */
export interface AuthRequest {
  /** The request method. */
  readonly method: string;
  /** The request headers, names in lower case; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The client's address as the socket sees it (a proxy's, behind one); `undefined` where the runtime does not tell. */
  readonly remoteAddress: string | undefined;
}

/** Decides whether a scrape may read the metrics; a refusal answers 403. */
export type AuthFunction = (request: AuthRequest) => boolean | Promise<boolean>;

/**
 * Who may read the metrics: a bearer token (several during a rotation), a user name and password
 * (HTTP basic authentication), or a function of the request. Secrets must be non-empty and without
 * whitespace around them (trim one read from a file), else construction throws.
 * @example { bearer: process.env.METRICS_TOKEN! }
 * @example { bearer: [oldToken, newToken] }
 * @example { basic: { username: 'prometheus', password: process.env.METRICS_PASSWORD! } }
 * @example (request) => request.remoteAddress === '10.0.0.7'
 */
export type AuthOption =
  | { readonly bearer: string | readonly string[] }
  | { readonly basic: { readonly username: string; readonly password: string } }
  | AuthFunction;

/** How a refused scrape is answered. */
export interface Refusal {
  readonly status: 401 | 403;
  /** The challenge of a 401. */
  readonly challenge?: string;
}

/** Checks a scrape's credentials; resolves to `undefined` when it may proceed. Never rejects. */
export type AuthCheck = (request: { method: string; headers?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined; remoteAddress?: string | undefined }) => Refusal | undefined | Promise<Refusal | undefined>;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * True when `given` equals one of `secrets`, in time that depends on neither: every secret is
 * compared, each through a fixed-length digest, so neither where the first difference lies nor
 * which secret matched shows in the timing.
 */
function matchesOne(given: string, secrets: readonly Buffer[]): boolean {
  const candidate = digest(given);
  let match = false;
  for (const secret of secrets) match = timingSafeEqual(candidate, secret) || match;
  return match;
}

function headerOf(headers: Readonly<Record<string, string | readonly string[] | undefined>> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : value?.join(', ');
}

/**
 * Where a second credential begins in an Authorization value: a comma, then a scheme and a space.
 * A token68 (a bearer token, base64) holds neither comma nor space, so this never cuts one.
 */
const NEXT_CREDENTIAL = /,[ \t]*[!#$%&'*+.^`|~\w-]+ /;

/**
 * The credentials after `scheme ` in an Authorization header (the scheme is case-insensitive), else
 * `undefined`. Of a repeated header only the first counts: node:http keeps only the first, fetch's
 * `Headers` joins them with ", ", and both must read the same.
 */
function credentials(value: string | undefined, scheme: string): string | undefined {
  const next = value === undefined ? -1 : value.search(NEXT_CREDENTIAL);
  const header = next === -1 ? value : value!.slice(0, next);
  if (header === undefined || header.length <= scheme.length || header[scheme.length] !== ' ') return undefined;
  if (header.slice(0, scheme.length).toLowerCase() !== scheme.toLowerCase()) return undefined;
  return header.slice(scheme.length + 1).trim();
}

/** An option given as `undefined`: most often an environment variable that is not set. */
function unset(where: string, what: string): TypeError {
  return optionError(`${where}: ${what} is undefined, as an environment variable that is not set reads (process.env.METRICS_TOKEN). Set it, or leave "auth" out to let anyone read the metrics.`);
}

/**
 * A secret as given, refused when no client could ever send it: empty or blank, or with whitespace
 * around it, which HTTP strips from header values and Prometheus from its credentials files (a
 * token read with readFileSync keeps its final newline). Refused rather than trimmed, so that a
 * secret is never silently other than what was configured.
 */
function secret(where: string, what: string, value: unknown): string {
  if (value === undefined) throw unset(where, what);
  if (typeof value !== 'string' || value.trim() === '') {
    throw optionError(`${where}: ${what} must be a non-empty string, got ${describeValue(value)}. An empty secret would let anyone in; read it from the environment, e.g. process.env.METRICS_TOKEN.`);
  }
  if (value.trim() !== value) {
    throw optionError(`${where}: ${what} begins or ends with whitespace, which no client sends (Prometheus trims its credentials files too); a file read with readFileSync keeps its final newline. Trim it: readFileSync(file, 'utf8').trim().`);
  }
  return value;
}

/** Validates `auth` once; returns the check a scrape runs, or `undefined` when everyone may scrape. */
export function compileAuth(where: string, option: unknown): AuthCheck | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') return functionCheck(where, option as AuthFunction);
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw optionError(`${where}: "auth" must be { bearer: "token" }, { basic: { username, password } } or a function (request) => boolean, got ${describeValue(option)}.`);
  }
  const o = option as Record<string, unknown>;
  checkKeys(`${where}: "auth"`, o, ['bearer', 'basic']);
  const given = (key: string): boolean => Object.hasOwn(o, key);
  if (given('bearer') === given('basic')) {
    throw optionError(`${where}: "auth" takes either "bearer" or "basic", not ${given('bearer') ? 'both' : 'neither'}.`);
  }
  if (given('bearer')) {
    if (o.bearer === undefined) throw unset(where, '"auth.bearer"');
    const tokens = Array.isArray(o.bearer) ? (o.bearer as unknown[]) : [o.bearer];
    if (tokens.length === 0) throw optionError(`${where}: "auth.bearer" must name at least one token.`);
    const secrets = tokens.map((t, i) => digest(secret(where, Array.isArray(o.bearer) ? `"auth.bearer[${i}]"` : '"auth.bearer"', t)));
    const refusal: Refusal = { status: 401, challenge: 'Bearer realm="metrics"' };
    return function bearerCheck(request) {
      const token = credentials(headerOf(request.headers, 'authorization'), 'Bearer');
      return token !== undefined && matchesOne(token, secrets) ? undefined : refusal;
    };
  }
  const basic = o.basic as Record<string, unknown> | null;
  if (basic === undefined) throw unset(where, '"auth.basic"');
  if (basic === null || typeof basic !== 'object') throw optionError(`${where}: "auth.basic" must be { username, password }, got ${describeValue(basic)}.`);
  checkKeys(`${where}: "auth.basic"`, basic, ['username', 'password']);
  const username = secret(where, '"auth.basic.username"', basic.username);
  if (username.includes(':')) throw optionError(`${where}: "auth.basic.username" cannot contain ":" (HTTP basic authentication splits user and password there).`);
  const secrets = [digest(`${username}:${secret(where, '"auth.basic.password"', basic.password)}`)];
  const refusal: Refusal = { status: 401, challenge: 'Basic realm="metrics", charset="UTF-8"' };
  return function basicCheck(request) {
    const encoded = credentials(headerOf(request.headers, 'authorization'), 'Basic');
    return encoded !== undefined && matchesOne(Buffer.from(encoded, 'base64').toString('utf8'), secrets) ? undefined : refusal;
  };
}

function functionCheck(where: string, allow: AuthFunction): AuthCheck {
  const forbidden: Refusal = { status: 403 };
  let warned = false;
  return async function functionAuthCheck(request) {
    const headers: Record<string, string> = {};
    for (const name in request.headers) {
      const value = headerOf(request.headers, name);
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    try {
      return (await allow({ method: request.method, headers, remoteAddress: request.remoteAddress })) === true ? undefined : forbidden;
    } catch (error) {
      // A failing check keeps the metrics closed, and says why once, where the operator looks.
      if (!warned) {
        warned = true;
        process.emitWarning(`promhttp: ${where}: the "auth" function threw (${error instanceof Error ? error.message : String(error)}); scrapes are refused while it does.`);
      }
      return forbidden;
    }
  };
}
