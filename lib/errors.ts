/**
 * The one error type of Queunir. Every program throws `AppError` with a kind from a closed set
 * and a stable code; the translations to HTTP, JSON-RPC and CLI exit codes live here, once each.
 */

export const ERROR_KINDS = [
  'NotFound',
  'InvalidArgument',
  'AlreadyExists',
  'FailedPrecondition',
  'Conflict',
  'PermissionDenied',
  'Unauthenticated',
  'PaymentRequired',
  'Unavailable',
  'ResourceExhausted',
  'Internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Stable machine-readable codes. Clients match on these; never rename one, only add. */
export const ERROR_CODES = {
  // generic, one per kind
  NOT_FOUND: 'NotFound',
  INVALID_ARGUMENT: 'InvalidArgument',
  ALREADY_EXISTS: 'AlreadyExists',
  FAILED_PRECONDITION: 'FailedPrecondition',
  CONFLICT: 'Conflict',
  PERMISSION_DENIED: 'PermissionDenied',
  UNAUTHENTICATED: 'Unauthenticated',
  PAYMENT_REQUIRED: 'PaymentRequired',
  UNAVAILABLE: 'Unavailable',
  RESOURCE_EXHAUSTED: 'ResourceExhausted',
  INTERNAL: 'Internal',
  // configuration and database
  CONFIG_INVALID: 'InvalidArgument',
  DB_PORT_IN_USE: 'Unavailable',
  DB_DATA_DIR_NOT_WRITABLE: 'FailedPrecondition',
  DB_UNREACHABLE: 'Unavailable',
  DB_AUTH_FAILED: 'PermissionDenied',
  DB_START_FAILED: 'Internal',
  DB_ROLE_IN_OTHER_DATABASE: 'FailedPrecondition',
  DB_DISK_FULL: 'ResourceExhausted',
  // slices and the supervisor
  SLICE_NOT_FOUND: 'NotFound',
  SLICE_ID_OUT_OF_RANGE: 'InvalidArgument',
  SLICE_NOT_CONNECTED: 'FailedPrecondition',
  SLICE_UNAVAILABLE: 'Unavailable',
  WA_CHAT_NOT_CONFIRMED: 'FailedPrecondition',
  WA_ACTION_NOT_CONFIRMED: 'FailedPrecondition',
  WA_NUMBER_NOT_FOUND: 'NotFound',
  WA_NOT_READY: 'FailedPrecondition',
  WA_QR_NOT_SHOWN: 'FailedPrecondition',
  WA_ALREADY_LINKED: 'FailedPrecondition',
  CONTACT_HAS_NO_CHAT: 'FailedPrecondition',
  SUPERVISOR_UNAVAILABLE: 'Unavailable',
  SUPERVISOR_ACCESS_DENIED: 'PermissionDenied',
  RUNTIME_ERROR: 'Internal',
  RUNTIME_UNAVAILABLE: 'Unavailable',
  SESSION_STORE_NOT_OWNED: 'FailedPrecondition',
  // accounts
  EMAIL_TAKEN: 'AlreadyExists',
  BAD_CREDENTIALS: 'Unauthenticated',
  CSRF_REJECTED: 'PermissionDenied',
  RATE_LIMITED: 'ResourceExhausted',
  PLAN_REQUIRED: 'PaymentRequired',
  TOO_MANY_STREAMS: 'ResourceExhausted',
  // billing
  BILLING_DISABLED: 'NotFound',
  WEBHOOK_SIGNATURE_INVALID: 'InvalidArgument',
  STRIPE_UNAVAILABLE: 'Unavailable',
  NO_BILLING_ACCOUNT: 'FailedPrecondition',
  SUBSCRIPTION_EXISTS: 'Conflict',
  // media (issue 15)
  MEDIA_TOO_LARGE: 'ResourceExhausted',
  MEDIA_QUOTA_EXCEEDED: 'ResourceExhausted',
  MEDIA_TYPE_REFUSED: 'InvalidArgument',
  MEDIA_NOT_STORED: 'FailedPrecondition',
  MEDIA_DOWNLOAD_FAILED: 'Unavailable',
  MEDIA_STORAGE_FULL: 'ResourceExhausted',
  WA_MESSAGE_NOT_SHOWN: 'FailedPrecondition',
  // teams and accounts (issue 16)
  ROLE_REQUIRED: 'PermissionDenied',
  MEMBER_NOT_FOUND: 'NotFound',
  CHAT_NOT_VISIBLE: 'NotFound',
  ACTING_MEMBER_INVALID: 'Unauthenticated',
  INVITATION_INVALID: 'NotFound',
  INVITATION_EMAIL_MEMBER: 'AlreadyExists',
  LAST_OWNER: 'FailedPrecondition',
  EMAIL_NOT_VERIFIED: 'FailedPrecondition',
  TOKEN_INVALID: 'NotFound',
  WRONG_PASSWORD: 'PermissionDenied',
  TOTP_REQUIRED: 'Unauthenticated',
  TOTP_INVALID: 'Unauthenticated',
  TOTP_ENABLED: 'FailedPrecondition',
  ACCOUNT_DELETING: 'FailedPrecondition',
  MAIL_FAILED: 'Unavailable',
  // API keys, webhooks, idempotent sends (issue 18)
  API_KEY_INVALID: 'Unauthenticated',
  API_KEY_NOT_FOUND: 'NotFound',
  SCOPE_REQUIRED: 'PermissionDenied',
  SESSION_REQUIRED: 'PermissionDenied',
  WEBHOOK_NOT_FOUND: 'NotFound',
  WEBHOOK_URL_REFUSED: 'InvalidArgument',
  DELIVERY_NOT_FOUND: 'NotFound',
  IDEMPOTENCY_KEY_REUSED: 'InvalidArgument',
  IDEMPOTENCY_KEY_IN_USE: 'Conflict',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra structured detail that is safe to show to the caller (never secrets). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.kind = ERROR_CODES[code];
    this.details = options.details;
  }

  toJSON(): { kind: ErrorKind; code: ErrorCode; message: string } {
    return { kind: this.kind, code: this.code, message: this.message };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Anything thrown becomes an AppError; unknown errors are Internal and keep their cause. */
export function toAppError(value: unknown): AppError {
  if (value instanceof AppError) return value;
  return new AppError('INTERNAL', 'internal error', { cause: value });
}

// ---- HTTP ---------------------------------------------------------------------------------------

const HTTP_STATUS: Record<ErrorKind, number> = {
  InvalidArgument: 400,
  Unauthenticated: 401,
  PaymentRequired: 402,
  PermissionDenied: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  FailedPrecondition: 409,
  ResourceExhausted: 429,
  Internal: 500,
  Unavailable: 503,
};

export function httpStatusOf(kind: ErrorKind): number {
  return HTTP_STATUS[kind];
}

/** The few codes whose HTTP status is more exact than their kind's: a file that is too big, or
 * that no room is left for, is not a rate limit to retry (429) but a request to change (413); a
 * disk that is full is the server's want of room (507), not the caller's. */
const HTTP_STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  MEDIA_TOO_LARGE: 413,
  MEDIA_QUOTA_EXCEEDED: 413,
  MEDIA_TYPE_REFUSED: 415,
  DB_DISK_FULL: 507,
  MEDIA_STORAGE_FULL: 507,
};

/** The HTTP status of an error code: its own when it has one, else its kind's. */
export function httpStatusOfCode(code: ErrorCode): number {
  return HTTP_STATUS_OF_CODE[code] ?? HTTP_STATUS[ERROR_CODES[code]];
}

/** Kind for an HTTP status that came from elsewhere (a proxied upstream, Fastify's own errors). */
function kindOfHttpStatus(status: number): ErrorKind {
  const exact = (Object.entries(HTTP_STATUS) as [ErrorKind, number][]).find(([, s]) => s === status);
  if (exact) return exact[0];
  if (status >= 500) return 'Internal';
  return 'InvalidArgument';
}

export interface HttpErrorBody {
  error: { kind: ErrorKind; code: string; message: string };
}

/** The HTTP form of any error: 5xx details are hidden from the caller. */
export function toHttpError(value: unknown): { status: number; body: HttpErrorBody } {
  const err = toAppError(value);
  const status = httpStatusOfCode(err.code);
  const message = status >= 500 && err.kind === 'Internal' ? 'internal error' : err.message;
  return { status, body: { error: { kind: err.kind, code: err.code, message } } };
}

/** The generic code of each kind, for errors that come with only an HTTP status. */
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

/** The shape of Fastify's own errors (schema validation, body parsing, 404, 413 …). */
interface FastifyLikeError {
  statusCode?: number;
  message: string;
  validation?: { instancePath?: string; message?: string }[];
  validationContext?: string;
}

/**
 * Fastify's own errors as AppErrors, for the gateway's and the slice's one error handler each: a
 * validation failure names the part and field (`invalid body: body/email must match …`), another
 * 4xx keeps its status's kind; null for anything else (the caller decides what it is).
 */
export function fromFastifyError(value: unknown): AppError | null {
  if (isAppError(value)) return value;
  const err = value as FastifyLikeError | null;
  if (!err || typeof err !== 'object') return null;
  if (Array.isArray(err.validation)) {
    const where = err.validationContext ?? 'request';
    const detail = err.validation.map((v) => `${where}${v.instancePath ?? ''} ${v.message ?? 'is invalid'}`).join('; ');
    return new AppError('INVALID_ARGUMENT', `invalid ${where}: ${detail}`);
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError(GENERIC_CODE[kindOfHttpStatus(err.statusCode)], err.message);
  }
  return null;
}

/**
 * Fastify's `frameworkErrors` option: what its router refuses before any route or error handler
 * runs (a URL that is not valid percent-encoding …) leaves in the error shape too, not as
 * Fastify's own `{"error": "Bad Request"}`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Fastify's reply type, without importing Fastify here
export function frameworkErrors(err: unknown, _req: unknown, reply: { code(status: number): { send(payload?: any): unknown } }): void {
  const { status, body } = toHttpError(fromFastifyError(err) ?? new AppError('INVALID_ARGUMENT', (err as Error)?.message ?? 'bad request'));
  reply.code(status).send(body);
}

// ---- JSON-RPC -----------------------------------------------------------------------------------

export const JSON_RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/** Application errors use -32000…-32099; one number per kind, stable. */
const JSON_RPC_APP_CODE: Record<ErrorKind, number> = {
  Internal: -32000,
  NotFound: -32001,
  InvalidArgument: -32002,
  AlreadyExists: -32003,
  FailedPrecondition: -32004,
  Conflict: -32005,
  PermissionDenied: -32006,
  Unavailable: -32007,
  ResourceExhausted: -32008,
  Unauthenticated: -32009,
  PaymentRequired: -32010,
};

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: { kind: ErrorKind; code: string };
}

export function toJsonRpcError(value: unknown): JsonRpcErrorObject {
  const err = toAppError(value);
  const message = err.kind === 'Internal' ? 'internal error' : err.message;
  return { code: JSON_RPC_APP_CODE[err.kind], message, data: { kind: err.kind, code: err.code } };
}

/** The inverse, for clients: a JSON-RPC error object back into an AppError. */
export function fromJsonRpcError(obj: JsonRpcErrorObject): AppError {
  const data = obj.data;
  if (data && (ERROR_KINDS as readonly string[]).includes(data.kind) && data.code in ERROR_CODES) {
    return new AppError(data.code as ErrorCode, obj.message);
  }
  const protocolKind: Record<number, ErrorCode> = {
    [JSON_RPC.PARSE_ERROR]: 'INVALID_ARGUMENT',
    [JSON_RPC.INVALID_REQUEST]: 'INVALID_ARGUMENT',
    [JSON_RPC.METHOD_NOT_FOUND]: 'NOT_FOUND',
    [JSON_RPC.INVALID_PARAMS]: 'INVALID_ARGUMENT',
  };
  return new AppError(protocolKind[obj.code] ?? 'INTERNAL', obj.message);
}

// ---- CLI exit codes (supervisorctl's where it has one) -------------------------------------------

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  BAD_ARGUMENTS: 2,
  NOT_RUNNING: 3,
  NO_SUCH_PROCESS: 4,
  CANNOT_CONNECT: 7,
} as const;

const EXIT_CODE: Record<ErrorKind, number> = {
  InvalidArgument: EXIT.BAD_ARGUMENTS,
  NotFound: EXIT.NO_SUCH_PROCESS,
  FailedPrecondition: EXIT.NOT_RUNNING,
  Unavailable: EXIT.CANNOT_CONNECT,
  PermissionDenied: EXIT.CANNOT_CONNECT,
  AlreadyExists: EXIT.FAILURE,
  Conflict: EXIT.FAILURE,
  ResourceExhausted: EXIT.FAILURE,
  Unauthenticated: EXIT.FAILURE,
  PaymentRequired: EXIT.FAILURE,
  Internal: EXIT.FAILURE,
};

export function exitCodeOf(value: unknown): number {
  return EXIT_CODE[toAppError(value).kind];
}
