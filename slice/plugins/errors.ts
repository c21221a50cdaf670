// One error handler for the slice: everything leaves as {error: {kind, code, message}} through
// toHttpError. Validation failures name the field; database constraint failures become the kind
// they mean; anything unexpected is logged and answered as a bare 500.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { AppError, isAppError, kindOfHttpStatus, toHttpError, type ErrorCode, type ErrorKind } from '../../lib/errors.ts';
import { BadCursor } from '../store/chats.ts';

const GENERIC_CODE: Record<ErrorKind, ErrorCode> = {
  NotFound: 'NOT_FOUND',
  InvalidArgument: 'INVALID_ARGUMENT',
  AlreadyExists: 'ALREADY_EXISTS',
  FailedPrecondition: 'FAILED_PRECONDITION',
  Conflict: 'CONFLICT',
  PermissionDenied: 'PERMISSION_DENIED',
  Unauthenticated: 'UNAUTHENTICATED',
  PaymentRequired: 'PAYMENT_REQUIRED',
  Unavailable: 'UNAVAILABLE',
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  Internal: 'INTERNAL',
};

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
    case '57P01':
    case '08006':
    case '08001':
    case '53300':
      return new AppError('DB_UNREACHABLE', 'the database is unavailable');
    default:
      return null;
  }
}

export function toSliceError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof BadCursor) return new AppError('INVALID_ARGUMENT', 'cursor is not a cursor this API returned');
  const fe = err as FastifyError & PgError;
  if (fe && Array.isArray(fe.validation)) return new AppError('INVALID_ARGUMENT', fe.message);
  const pg = fe && typeof fe.code === 'string' && /^[0-9A-Z]{5}$/.test(fe.code) ? fromPg(fe) : null;
  if (pg) return pg;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    return new AppError(GENERIC_CODE[kindOfHttpStatus(fe.statusCode)], fe.message);
  }
  return new AppError('INTERNAL', 'internal error', { cause: err });
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
