// What label functions see of an Express request. By the response's close, where they run, the
// request is wherever the router chain left it: inside the router that answered (its `params`,
// `url` and `baseUrl`) when a route sent the response, back at the parent's when an error or
// `next()` took it out of a router (Express restores them on the way out). A label must not
// depend on which, so the adapter takes a view when the metric begins and shows it again while
// the label functions run.
import type { ServerResponse } from 'node:http';
import { asRecorded } from '../core/adapter/index.js';

/** The parts of an Express request a router sets on the way in and puts back on the way out. */
export interface RequestView {
  readonly params: unknown;
  readonly url: unknown;
  readonly baseUrl: unknown;
}

type Viewed = { params: unknown; url: unknown; baseUrl: unknown };

/** The request as it is now. */
export function viewOf(req: object): RequestView {
  const { params, url, baseUrl } = req as Viewed;
  return { params, url, baseUrl };
}

// Only what differs is written: Express gives every request a prototype of its own, and adding a
// property to such an object is slow; a property that differs is one Express has set already.
function show(req: Viewed, view: RequestView): void {
  if (req.params !== view.params) req.params = view.params;
  if (req.url !== view.url) req.url = view.url;
  if (req.baseUrl !== view.baseUrl) req.baseUrl = view.baseUrl;
}

/** Runs `record` with the request as `view` shows it and `res.statusCode` reading `status`, then puts both back. */
export function inView(req: object, res: ServerResponse, view: RequestView, status: number, record: () => void): void {
  const now = viewOf(req);
  show(req as Viewed, view);
  try {
    asRecorded(res, status, record);
  } finally {
    show(req as Viewed, now);
  }
}
