// A send answered once per Idempotency-Key (issue 18; the rules are slice/store/idempotency.ts's):
// the header is checked, the key claimed for this request, the first answer replayed with
// `Idempotent-Replayed: true`, or the send run with the key for the outbox to record.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_PATTERN, idempotencyKeyOf, requestHash, type IdempotencyKeys, type IdempotentRequest } from '../store/idempotency.ts';

/** The header, as the route schemas declare it (validated, and described in the OpenAPI document). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description: 'any 1–200 printable ASCII characters, new for each send: the same key within 24 h answers the first result (header Idempotent-Replayed: true) and sends nothing again',
    }),
  ),
});

/**
 * Answers a send: 202 with what `send` answers, or the first answer again. `hashed` is what makes
 * the request this one (its JSON body; for a file, its hash and fields): with the method and the
 * path, it must match the first request's.
 */
export async function answerOnce(
  keys: IdempotencyKeys,
  req: FastifyRequest,
  reply: FastifyReply,
  hashed: unknown,
  send: (idempotent: IdempotentRequest | undefined) => Promise<unknown>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(req.headers);
  if (key === undefined) return reply.status(202).send(await send(undefined));
  const request: IdempotentRequest = { key, requestHash: requestHash(req.method, req.url.split('?', 1)[0]!, hashed) };
  const first = await keys.claim(request);
  if (first) return reply.header('idempotent-replayed', 'true').status(first.status).send(first.body);
  try {
    return reply.status(202).send(await send(request));
  } finally {
    keys.release(request);
  }
}
