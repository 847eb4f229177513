/** How a push is sent, resolved once. */
export interface SendSettings {
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
}

/** A push, push-add or delete the Pushgateway did not accept, after all retries. */
export class PushgatewayError extends Error {
  override readonly name = 'PushgatewayError';
  constructor(
    message: string,
    /** The group URL (without credentials). */
    readonly url: string,
    readonly method: string,
    /** How many requests were sent. */
    readonly attempts: number,
    /** The last HTTP status, when the gateway answered. */
    readonly status?: number,
    /** The start of the last answer's body, when the gateway answered. */
    readonly body?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const MAX_DELAY_MS = 10_000;

/** 5xx and "too many requests" may pass on a later try; other 4xx mean the push itself is wrong. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  // fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED …) in the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one request with a timeout per attempt, retrying network errors, timeouts and 5xx with
 * exponential backoff (jittered, so processes stopped together do not retry in step). Every
 * Pushgateway method is idempotent, so a retry after a lost answer is safe.
 */
export async function send(method: 'PUT' | 'POST' | 'DELETE', url: string, body: string | undefined, settings: SendSettings): Promise<void> {
  const attempts = settings.retries + 1;
  let last = '';
  let status: number | undefined;
  let text: string | undefined;
  let cause: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      const base = Math.min(settings.retryDelayMs * 2 ** (attempt - 2), MAX_DELAY_MS);
      await sleep(base / 2 + Math.random() * (base / 2));
    }
    try {
      const response = await fetch(url, { method, body, headers: settings.headers, signal: AbortSignal.timeout(settings.timeoutMs) });
      status = response.status;
      text = (await response.text()).slice(0, 500).trim();
      if (response.ok) return;
      last = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${text ? `: ${text}` : ''}`;
      cause = undefined;
      if (!retryable(response.status)) {
        throw new PushgatewayError(`promhttp: ${method} ${url} was refused: ${last}`, url, method, attempt, status, text);
      }
    } catch (error) {
      if (error instanceof PushgatewayError) throw error;
      status = undefined;
      text = undefined;
      cause = error;
      last = reason(error, settings.timeoutMs);
    }
  }
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  throw new PushgatewayError(`promhttp: ${method} ${url} failed after ${tries}: ${last}`, url, method, attempts, status, text, cause === undefined ? undefined : { cause });
}
