// One id per request across nginx, the gateway and the slice: nginx makes it ($request_id, sent
// as X-Request-Id), the gateway logs under it and passes it on to the slice, which logs under it
// too. Only a loopback peer (nginx on the same machine) is believed; anyone else gets a new id, so
// a browser cannot choose the id its requests are logged under.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdOf(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustLoopback: boolean): string {
  if (trustLoopback) {
    const sent = req.headers['x-request-id'];
    if (typeof sent === 'string' && SANE_ID.test(sent) && LOOPBACK.has(req.socket?.remoteAddress ?? '')) return sent;
  }
  return crypto.randomUUID();
}
