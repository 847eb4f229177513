import type { ServerOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import { checkKeys, checkType, describeValue, optionError } from '../errors.js';

/** HTTPS for the metrics server. Certificates and keys are PEM text or bytes (read them with `readFileSync`). */
export interface MetricsServerTls {
  /** The server's certificate chain, PEM. */
  cert: string | Buffer;
  /** The server's private key, PEM. */
  key: string | Buffer;
  /**
   * The certificate authority that signs client certificates, PEM; needed for `requestClientCert`.
   * @default none
   */
  ca?: string | Buffer;
  /**
   * Require every client to present a certificate signed by `ca` (mutual TLS): Prometheus's
   * `tls_config` with `cert_file` and `key_file`. Connections without one are refused.
   * @default false
   */
  requestClientCert?: boolean;
}

const isPem = (value: unknown): boolean => (typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0;

/** Validates the `tls` option; returns the options for `https.createServer`, or `undefined` for plain HTTP. */
export function checkTls(where: string, tls: unknown): ServerOptions | undefined {
  if (tls === undefined) return undefined;
  if (tls === null || typeof tls !== 'object' || Array.isArray(tls)) throw optionError(`${where}: "tls" must be { cert, key } (PEM text or bytes), got ${describeValue(tls)}.`);
  const o = tls as Record<string, unknown>;
  checkKeys(`${where}: "tls"`, o, ['cert', 'key', 'ca', 'requestClientCert']);
  for (const name of ['cert', 'key'] as const) {
    if (!isPem(o[name])) throw optionError(`${where}: "tls.${name}" must be the PEM ${name === 'cert' ? 'certificate' : 'private key'} as text or bytes, e.g. readFileSync('metrics.${name === 'cert' ? 'crt' : 'key'}'), got ${describeValue(o[name])}.`);
  }
  if (o.ca !== undefined && !isPem(o.ca)) throw optionError(`${where}: "tls.ca" must be the PEM certificate of the authority that signs client certificates, got ${describeValue(o.ca)}.`);
  checkType(where, 'tls.requestClientCert', o.requestClientCert, 'boolean', 'true or false');
  const mutual = o.requestClientCert === true;
  if (mutual && o.ca === undefined) throw optionError(`${where}: "tls.requestClientCert" needs "tls.ca", the authority whose client certificates are accepted.`);
  const options: ServerOptions = {
    cert: o.cert as string | Buffer,
    key: o.key as string | Buffer,
    ...(o.ca !== undefined ? { ca: o.ca as string | Buffer } : {}),
    requestCert: mutual,
    rejectUnauthorized: mutual,
  };
  try {
    // What https.createServer does first, here so that OpenSSL's refusal is an option error like the others.
    createSecureContext(options);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error:[0-9A-F]+:/, '') : String(error);
    throw Object.assign(
      optionError(`${where}: "tls" was refused by OpenSSL (${reason}): give the PEM certificate in "cert", its own private key in "key", e.g. readFileSync('metrics.crt') and readFileSync('metrics.key').`),
      { cause: error },
    );
  }
  return options;
}
