// One error handler for the slice: everything leaves as {error: {kind, code, message}} through
// toHttpError. Validation failures name the field; database constraint failures become the kind
// they mean; anything unexpected is logged and answered as a bare 500.
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { AppError, fromFastifyError, isAppError, toHttpError } from '../../lib/errors.ts';
import { pgUnavailable } from '../../sql/errors.ts';
import { BadCursor } from '../store/chats.ts';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

function fromPg(err: PgError): AppError | null {
  switch (err.code) {
    case '23505':
      return new AppError('ALREADY_EXISTS', `already exists${err.constraint ? ` (${err.constraint.replace(/_key$/, '')})` : ''}`);
    case '23503':
      return new AppError('NOT_FOUND', 'a referenced record does not exist');
    case '23514':
    case '22001':
    case '22P02':
    case '22007':
    case '22008':
      return new AppError('INVALID_ARGUMENT', `invalid value${err.constraint ? ` (${err.constraint})` : ''}`);
    default:
      return null;
  }
}

function toSliceError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof BadCursor) return new AppError('INVALID_ARGUMENT', 'cursor is not a cursor this API returned');
  const fastify = fromFastifyError(err);
  if (fastify) return fastify;
  const unavailable = pgUnavailable(err);
  if (unavailable) return unavailable;
  const pe = err as PgError | null;
  const pg = pe && typeof pe.code === 'string' && /^[0-9A-Z]{5}$/.test(pe.code) ? fromPg(pe) : null;
  return pg ?? new AppError('INTERNAL', 'internal error', { cause: err });
}

const errors: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err, req, reply) => {
    const appErr = toSliceError(err);
    if (appErr.kind === 'Internal') req.log.error({ err }, 'request failed');
    const { status, body } = toHttpError(appErr);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toHttpError(new AppError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
    return reply.status(status).send(body);
  });
};

export default fp(errors, { name: 'slice-errors', fastify: '5.x' });
