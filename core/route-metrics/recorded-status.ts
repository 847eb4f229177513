/** The part of a node:http response whose status label functions read (a `ServerResponse` fits it). */
export interface StatusHolder {
  statusCode: number;
}

/**
 * Runs `record` while `res.statusCode` reads `status`, the status promhttp records for the
 * response, and puts the response's own status back after. Label functions that read the status
 * from the response (`res.statusCode`, Fastify's `reply.statusCode`, Koa's `ctx.status`) then agree
 * with `http_requests_total`: 499 for a client that left, 500 for a response the server abandoned,
 * where the response still holds the status it would have sent. Writes nothing when they agree.
 * @example
 * whenClosed(res, function recordRoute() { asRecorded(this, closedStatus(this), end); });
 */
export function asRecorded(res: StatusHolder, status: number, record: () => void): void {
  const own = res.statusCode;
  if (own === status) return record();
  res.statusCode = status;
  try {
    record();
  } finally {
    res.statusCode = own;
  }
}
