import { optionError } from './errors.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*_$|^$/;

export function checkMetricName(where: string, name: unknown): string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw optionError(
      `${where}: ${JSON.stringify(name)} is not a valid metric name. Use letters, digits, "_" and ":" and do not start with a digit, e.g. "http_requests_total".`,
    );
  }
  return name;
}

export function checkLabelName(where: string, name: unknown): string {
  if (typeof name !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__')) {
    throw optionError(
      `${where}: ${JSON.stringify(name)} is not a valid label name. Use letters, digits and "_", do not start with a digit or "__", e.g. "service".`,
    );
  }
  return name;
}

export function checkPrefix(where: string, prefix: unknown): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw optionError(
      `${where}: prefix ${JSON.stringify(prefix)} is not valid. A prefix is a metric name fragment ending in "_", e.g. "myapp_".`,
    );
  }
  return prefix;
}
