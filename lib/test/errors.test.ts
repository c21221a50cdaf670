import t from 'tap';
import {
  AppError,
  ERROR_CODES,
  ERROR_KINDS,
  EXIT,
  JSON_RPC,
  exitCodeOf,
  fromJsonRpcError,
  httpStatusOf,
  toHttpError,
  toJsonRpcError,
  type ErrorCode,
} from '../errors.ts';

t.test('every code maps to a kind of the closed set', async (t) => {
  for (const [code, kind] of Object.entries(ERROR_CODES)) {
    t.ok((ERROR_KINDS as readonly string[]).includes(kind), `${code} → ${kind}`);
  }
  const e = new AppError('SLICE_NOT_FOUND', 'slice 4 does not exist');
  t.equal(e.kind, 'NotFound');
  t.equal(e.code, 'SLICE_NOT_FOUND');
  t.same(e.toJSON(), { kind: 'NotFound', code: 'SLICE_NOT_FOUND', message: 'slice 4 does not exist' });
});

t.test('HTTP: status per kind, body shape, 5xx details hidden', async (t) => {
  const expected: Record<string, number> = {
    InvalidArgument: 400, Unauthenticated: 401, PaymentRequired: 402, PermissionDenied: 403, NotFound: 404,
    AlreadyExists: 409, Conflict: 409, FailedPrecondition: 409, ResourceExhausted: 429, Internal: 500, Unavailable: 503,
  };
  for (const kind of ERROR_KINDS) t.equal(httpStatusOf(kind), expected[kind], kind);

  const bad = toHttpError(new AppError('EMAIL_TAKEN', 'that email is already registered'));
  t.same(bad, { status: 409, body: { error: { kind: 'AlreadyExists', code: 'EMAIL_TAKEN', message: 'that email is already registered' } } });

  const boom = toHttpError(new Error('connection string postgres://u:secret@host leaked'));
  t.equal(boom.status, 500);
  t.equal(boom.body.error.message, 'internal error');
  t.notMatch(JSON.stringify(boom), /secret/);
});

t.test('JSON-RPC: application codes in -32000…-32099 with data, and back', async (t) => {
  const seen = new Set<number>();
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const obj = toJsonRpcError(new AppError(code, 'x'));
    t.ok(obj.code <= -32000 && obj.code >= -32099, `${code} in the application range`);
    t.equal(obj.data?.code, code);
    seen.add(obj.code);
    const back = fromJsonRpcError(obj);
    t.equal(back.code, code, `${code} survives the round trip`);
  }
  t.equal(seen.size, ERROR_KINDS.length, 'one number per kind');
  t.equal(toJsonRpcError(new Error('secret detail')).message, 'internal error');
  t.equal(fromJsonRpcError({ code: JSON_RPC.METHOD_NOT_FOUND, message: 'no such method' }).kind, 'NotFound');
  t.equal(fromJsonRpcError({ code: JSON_RPC.INVALID_PARAMS, message: 'bad id' }).kind, 'InvalidArgument');
});

t.test('CLI exit codes follow supervisorctl', async (t) => {
  t.equal(exitCodeOf(new AppError('INVALID_ARGUMENT', 'x')), EXIT.BAD_ARGUMENTS);
  t.equal(exitCodeOf(new AppError('SUPERVISOR_UNAVAILABLE', 'x')), EXIT.CANNOT_CONNECT);
  t.equal(exitCodeOf(new AppError('SLICE_NOT_FOUND', 'x')), EXIT.NO_SUCH_PROCESS);
  t.equal(exitCodeOf(new AppError('FAILED_PRECONDITION', 'x')), EXIT.NOT_RUNNING);
  t.equal(exitCodeOf(new Error('bug')), EXIT.FAILURE);
});

t.test("fromFastifyError: Fastify's own errors, one mapping for the gateway and the slice", async (t) => {
  const { fromFastifyError } = await import('../errors.ts');
  const validation = fromFastifyError({ message: 'body/email must match pattern', validationContext: 'body', validation: [{ instancePath: '/email', message: 'must match pattern "^x$"' }] });
  t.match(validation, { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: 'invalid body: body/email must match pattern "^x$"' });
  t.match(fromFastifyError({ statusCode: 413, message: 'Request body is too large' }), { kind: 'InvalidArgument', message: 'Request body is too large' });
  t.match(fromFastifyError({ statusCode: 404, message: 'Not Found' }), { kind: 'NotFound', code: 'NOT_FOUND' });
  t.equal(fromFastifyError({ statusCode: 500, message: 'boom' }), null, 'a 5xx is not Fastify saying what is wrong with the request');
  t.equal(fromFastifyError(new Error('plain')), null);
  t.equal(fromFastifyError(null), null);
});

t.test('media codes that need a more exact status than their kind carry it over HTTP', async (t) => {
  const { toHttpError, AppError: E } = await import('../errors.ts');
  t.equal(toHttpError(new E('MEDIA_TOO_LARGE', 'x')).status, 413);
  t.equal(toHttpError(new E('MEDIA_QUOTA_EXCEEDED', 'x')).status, 413);
  t.equal(toHttpError(new E('MEDIA_TYPE_REFUSED', 'x')).status, 415);
  t.equal(toHttpError(new E('MEDIA_NOT_STORED', 'x')).status, 409, 'the others follow their kind');
  t.equal(toHttpError(new E('RATE_LIMITED', 'x')).status, 429);
});
